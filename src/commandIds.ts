/** Command ids, as declared in package.json `contributes.commands`. */
export const COMMAND_COUNT_TOKENS = 'tokenscope.countTokens';
export const COMMAND_VERIFY_WITH_TIKTOKEN = 'tokenscope.verifyWithTiktoken';
export const COMMAND_SELECT_ENCODING = 'tokenscope.selectEncoding';
/** Internal (status-bar tooltip links): set the encoding for this workspace. */
export const COMMAND_SET_ENCODING = 'tokenscope.setEncoding';
export const COMMAND_TOGGLE_BOUNDARIES = 'tokenscope.toggleBoundaries';
export const COMMAND_TOGGLE_BOUNDARIES_GLOBALLY = 'tokenscope.toggleBoundariesGlobally';
export const COMMAND_COMPARE_ENCODINGS = 'tokenscope.compareEncodings';
export const COMMAND_COPY_TOKEN_IDS = 'tokenscope.copyTokenIds';
export const COMMAND_DECODE_TOKEN_IDS = 'tokenscope.decodeTokenIds';
export const COMMAND_INSPECT_TOKEN = 'tokenscope.inspectTokenAtCursor';
export const COMMAND_TRUNCATE = 'tokenscope.truncateToTokens';
export const COMMAND_SPLIT_CHUNKS = 'tokenscope.splitIntoChunks';
export const COMMAND_SHOW_INSPECTOR = 'tokenscope.showInspector';
export const COMMAND_STATUS_BAR_MENU = 'tokenscope.statusBarMenu';
export const COMMAND_GLITCH_REPORT = 'tokenscope.glitchReport';
export const COMMAND_BACKEND_MENU = 'tokenscope.backendMenu';
export const COMMAND_PICK_MODEL = 'tokenscope.pickModel';
export const COMMAND_DOWNLOAD_MODEL = 'tokenscope.downloadModel';
export const COMMAND_SHOW_MODEL_INFO = 'tokenscope.showModelInfo';
export const COMMAND_SELECT_BACKEND = 'tokenscope.selectBackend';
export const COMMAND_TEST_COMPLETION = 'tokenscope.testCompletion';
export const COMMAND_SET_API_KEY = 'tokenscope.setServerApiKey';
export const COMMAND_SHOW_LOG = 'tokenscope.showLog';
/** Internal (status-bar actions): forget a backend error and try again. */
export const COMMAND_RETRY_BACKEND = 'tokenscope.retryBackend';
export const COMMAND_FIND_UNDERTRAINED = 'tokenscope.findUndertrainedTokens';
export const COMMAND_TOGGLE_COMPLETIONS = 'tokenscope.toggleCompletions';
export const COMMAND_SHOW_COMPLETION_STATS = 'tokenscope.showCompletionStats';
export const COMMAND_EXPLAIN_SUGGESTION = 'tokenscope.explainSuggestion';
/** Internal (the command of every inline suggestion): counts an accepted suggestion. */
export const COMMAND_COMPLETION_ACCEPTED = 'tokenscope.completionAccepted';
