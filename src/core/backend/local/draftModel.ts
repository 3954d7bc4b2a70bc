/**
 * A draft model as a drafter (engine process): a smaller GGUF with the target's vocabulary runs
 * greedily on its own context and proposes its next k tokens. Its KV cache follows the history
 * (the longest common prefix is kept, the rest evaluated in one batch), so after the first
 * proposal of a request each one costs about k small decode steps; that time counts in the draft
 * controller's cost of a batch (VerifyCosts.recordDrafting), so a draft model slower than it saves
 * stops being asked.
 *
 * Compatibility is checked from the GGUF files before any weights load: the same vocabulary size
 * and the same raw bytes for every token, else the draft model is refused with the first
 * difference in the message (a different vocabulary would make every draft a wrong one).
 */
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { Drafter, DraftProposal } from '../../completion/speculate/drafter';
import { GgufTokenizer } from '../../tokenizer/gguf/ggufTokenizer';

/** Why `draftPath` cannot draft for the model whose tokenizer is `target`, or undefined when it can. */
export function draftIncompatibility(target: GgufTokenizer, draftPath: string): string | undefined {
  let draft: GgufTokenizer;
  try {
    draft = GgufTokenizer.load(draftPath);
  } catch (e) {
    return `its vocabulary could not be read (${e instanceof Error ? e.message : String(e)})`;
  }
  try {
    if (target.vocabSize !== draft.vocabSize) return `its vocabulary has ${draft.vocabSize} tokens, the model's ${target.vocabSize}`;
    for (let id = 0; id < target.vocabSize; id++) {
      const a = target.tokenBytes(id);
      const b = draft.tokenBytes(id);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) return `token ${id} differs (${JSON.stringify(Buffer.from(b).toString('latin1'))} against ${JSON.stringify(Buffer.from(a).toString('latin1'))})`;
    }
    return undefined;
  } finally {
    draft.dispose();
  }
}

export class DraftModelDrafter implements Drafter {
  readonly name = 'draft-model';

  constructor(
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly seq: LlamaContextSequence,
  ) {}

  async propose(history: readonly number[], k: number): Promise<DraftProposal> {
    if (k <= 0 || history.length === 0) return { tokens: [], confidence: 0 };
    const window = history.slice(-(this.context.contextSize - k - 1));
    const current = this.seq.contextTokens;
    let common = 0;
    while (common < current.length && common < window.length && current[common] === window[common]) common++;
    // the last history token is evaluated again: its output is the first draft token
    if (common === window.length) common--;
    if (common < current.length) await this.seq.eraseContextTokenRanges([{ start: common, end: current.length }]);
    const tokens: number[] = [];
    const gen = this.seq.evaluate(window.slice(common) as Token[], { temperature: 0 });
    try {
      for await (const t of gen) {
        if (this.model.isEogToken(t)) break;
        tokens.push(t);
        if (tokens.length >= k) break;
      }
    } finally {
      await gen.return(undefined);
    }
    return { tokens, confidence: 0 };
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
