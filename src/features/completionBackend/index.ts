import type * as vscode from 'vscode';
import { withComponent, type ILogger } from '../../common/logger';
import type { Configuration } from '../../configuration';
import type { BackendService } from '../../services/backendService';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { BackendMenuCommand, RetryBackendCommand, SetApiKeyCommand, ShowLogCommand } from './backendMenuCommands';
import { BackendStatus } from './backendStatus';
import { DownloadModelCommand } from './downloadModelCommand';
import { ModelFiles } from './modelFiles';
import { PickModelCommand } from './pickModelCommand';
import { SelectBackendCommand } from './selectBackendCommand';
import { ShowModelInfoCommand } from './showModelInfoCommand';
import { TestCompletionCommand } from './testCompletionCommand';

/**
 * The completion backend's UI: its status-bar item and its commands (model picking and
 * downloading, model info, backend selection, a test completion, the server API key, the log).
 * Commands take optional arguments so that tests and keybindings run them without dialogs.
 */
export function register(context: vscode.ExtensionContext, service: BackendService, config: Configuration, channel: vscode.LogOutputChannel, logger: ILogger): Feature<BackendStatus> {
  const log = withComponent(logger, 'models');
  const files = new ModelFiles(context, config, service);
  const status = new BackendStatus(service);
  return feature(
    status,
    status,
    registerCommands(
      new PickModelCommand(service, files, log),
      new DownloadModelCommand(files, log),
      new ShowModelInfoCommand(service),
      new SelectBackendCommand(service, config),
      new TestCompletionCommand(service, () => channel.show(), log),
      new SetApiKeyCommand(service),
      new ShowLogCommand(channel),
      new RetryBackendCommand(service),
      new BackendMenuCommand(service),
    ),
  );
}
