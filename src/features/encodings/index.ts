import type * as vscode from 'vscode';
import type { Configuration } from '../../configuration';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { BackendService } from '../../services/backendService';
import { registerCommands } from '../../util/command';
import { CompareEncodingsCommand } from './compareEncodingsCommand';
import { SelectEncodingCommand, SetEncodingCommand } from './selectEncodingCommand';

/** Choosing the encoding: "Select Encoding…", the tooltip's "set encoding" links, "Compare Encodings". */
export function register(registry: TokenizerRegistry, background: BackgroundTokenizer, config: Configuration, backend: BackendService): vscode.Disposable {
  return registerCommands(
    new SelectEncodingCommand(config),
    new SetEncodingCommand(config),
    new CompareEncodingsCommand(registry, background, config, () => backend.localTokenizer()),
  );
}
