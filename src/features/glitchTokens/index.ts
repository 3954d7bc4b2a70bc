import type * as vscode from 'vscode';
import { withComponent, type ILogger } from '../../common/logger';
import type { GlitchSettings, ScopedSettingSlice } from '../../configuration';
import type { BackgroundTokenizer } from '../../core/tokenizer/backgroundTokenizer';
import type { EncodingName } from '../../core/tokenizer/encodings';
import type { BackendService } from '../../services/backendService';
import type { GlitchIndexes } from '../../services/glitchIndexes';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { GlitchDiagnostics } from './glitchDiagnostics';
import { GlitchReportCommand, promptLanguageOf } from './glitchReportCommand';
import { FindUndertrainedCommand, ModelCandidates } from './modelCandidates';

export interface GlitchTokensApi {
  readonly diagnostics: GlitchDiagnostics;
}

/**
 * Glitch tokens: diagnostics with hovers and quick fixes, the "Glitch Token Report" and "Find
 * Under-trained Tokens of the Local Model" (whose candidates join every encoding's index).
 */
export function register(
  context: vscode.ExtensionContext,
  models: TokenModels,
  indexes: GlitchIndexes,
  backend: BackendService,
  background: BackgroundTokenizer,
  settings: ScopedSettingSlice<GlitchSettings>,
  encoding: ScopedSettingSlice<EncodingName>,
  logger: ILogger,
): Feature<GlitchTokensApi> {
  const diagnostics = new GlitchDiagnostics(models, indexes, settings, encoding, withComponent(logger, 'glitch'));
  const candidates = new ModelCandidates(backend, indexes, context, context.asAbsolutePath('dist/modelAnalysisProcess.js'), logger);
  return feature(
    { diagnostics },
    diagnostics,
    candidates,
    registerCommands(new GlitchReportCommand(models, background, indexes, settings, promptLanguageOf(context)), new FindUndertrainedCommand(candidates)),
  );
}
