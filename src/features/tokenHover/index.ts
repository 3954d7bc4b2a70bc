import type { HoverMode, ScopedSettingSlice } from '../../configuration';
import type { TokenizerRegistry } from '../../core/tokenizer/tokenizerRegistry';
import type { BoundaryVisibility } from '../../services/boundaryVisibility';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { InspectTokenCommand, TokenHover } from './tokenHover';

/** The token hover and "Inspect Token at Cursor". */
export function register(models: TokenModels, registry: TokenizerRegistry, mode: ScopedSettingSlice<HoverMode>, visibility: BoundaryVisibility): Feature<TokenHover> {
  const hover = new TokenHover(models, registry, mode, visibility);
  return feature(hover, hover, registerCommands(new InspectTokenCommand(models, hover)));
}
