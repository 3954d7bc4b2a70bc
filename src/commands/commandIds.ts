/** Command ids, as declared in package.json `contributes.commands`. */
export const COMMAND_COUNT_TOKENS = 'tokenscope.countTokens';
export const COMMAND_VERIFY_WITH_TIKTOKEN = 'tokenscope.verifyWithTiktoken';
