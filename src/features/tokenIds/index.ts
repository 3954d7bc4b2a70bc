import type * as vscode from 'vscode';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { CopyTokenIdsCommand } from './copyTokenIdsCommand';
import { DecodeTokenIdsCommand } from './decodeTokenIdsCommand';

/** Token ids in and out: "Copy Token IDs of Selection", "Decode Token IDs…". */
export function register(models: TokenModels): vscode.Disposable {
  return registerCommands(new CopyTokenIdsCommand(models), new DecodeTokenIdsCommand(models));
}
