import type * as vscode from 'vscode';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { SplitIntoChunksCommand, TruncateCommand } from './tokenBudgetCommands';

/** Cutting text to a token budget: "Truncate to N Tokens…", "Split into Chunks of N Tokens…". */
export function register(models: TokenModels): vscode.Disposable {
  return registerCommands(new TruncateCommand(models), new SplitIntoChunksCommand(models));
}
