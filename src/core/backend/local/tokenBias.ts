import type * as NodeLlamaCppModule from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };

type TokenBias = InstanceType<(typeof NodeLlamaCppModule)['TokenBias']>;

/**
 * A node-llama-cpp TokenBias holding `entries` ([token, logit offset]; -Infinity forbids the token).
 * TokenBias.set ignores end-of-generation tokens (node-llama-cpp 3.22, pinned), yet the sampler
 * reads its map as is: EOS/EOT/FIM-pad biases go into the map directly, so that a completion can
 * be forced to continue or to end. Cost: O(entries).
 */
export function makeTokenBias(lib: typeof NodeLlamaCppModule, model: LlamaModel, entries: readonly (readonly [number, number])[]): TokenBias {
  const bias = new lib.TokenBias(model.tokenizer);
  const map = (bias as unknown as { _biases: Map<Token, number> })._biases;
  for (const [t, b] of entries) {
    if (model.isEogToken(t as Token)) map.set(t as Token, b);
    else bias.set(t as Token, b === -Infinity ? 'never' : { logit: b });
  }
  return bias;
}
