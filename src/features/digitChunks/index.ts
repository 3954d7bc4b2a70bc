import type { ScopedSettingSlice } from '../../configuration';
import type { TokenModels } from '../../services/tokenModels';
import { DigitChunks } from './digitChunks';

/** The digit-chunking note and its quick fix (no commands). */
export function register(models: TokenModels, enabled: ScopedSettingSlice<boolean>): DigitChunks {
  return new DigitChunks(models, enabled);
}
