import { withComponent, type ILogger } from '../../common/logger';
import type { Configuration } from '../../configuration';
import type { BoundaryVisibility } from '../../services/boundaryVisibility';
import type { TokenModels } from '../../services/tokenModels';
import { registerCommands } from '../../util/command';
import { feature, type Feature } from '../../util/feature';
import { ToggleBoundariesCommand, ToggleBoundariesGloballyCommand } from './toggleBoundariesCommands';
import { TokenBoundaries } from './tokenBoundaries';

/** Token boundaries as decorations, and the two toggle commands. */
export function register(models: TokenModels, visibility: BoundaryVisibility, config: Configuration, logger: ILogger): Feature<TokenBoundaries> {
  const boundaries = new TokenBoundaries(models, visibility, config.boundaries, withComponent(logger, 'boundaries'));
  return feature(boundaries, boundaries, registerCommands(new ToggleBoundariesCommand(visibility), new ToggleBoundariesGloballyCommand(visibility, config)));
}
