import type { ILogger } from '../../common/logger';
import type { SettingSlice, StatusBarSettings } from '../../configuration';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { BackendService } from '../../services/backendService';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { CountTokensCommand } from './countTokensCommand';
import { TokenCountStatus } from './tokenCountStatus';
import { VerifyWithTiktokenCommand } from './verifyWithTiktokenCommand';

/** The token count: the status-bar item, "Count Tokens" and "Verify Token Count with tiktoken". */
export function register(
  models: TokenModels,
  statusBar: SettingSlice<StatusBarSettings>,
  backend: BackendService,
  background: BackgroundTokenizer,
  logger: ILogger,
): Feature<TokenCountStatus> {
  const status = new TokenCountStatus(models, statusBar, backend, background, logger);
  return feature(status, status, registerCommands(new CountTokensCommand(models), new VerifyWithTiktokenCommand(models, background, logger)));
}
