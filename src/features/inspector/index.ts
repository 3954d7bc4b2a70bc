import type * as vscode from 'vscode';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { InspectorPanel, ShowInspectorCommand } from './inspectorPanel';

/** The token inspector webview and "Show Token Inspector". */
export function register(extensionUri: vscode.Uri, models: TokenModels, registry: TokenizerRegistry): Feature<InspectorPanel> {
  const panel = new InspectorPanel(extensionUri, models, registry);
  return feature(panel, panel, registerCommands(new ShowInspectorCommand(panel)));
}
