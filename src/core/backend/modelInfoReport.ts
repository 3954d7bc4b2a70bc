import type { BackendCapabilities } from './backend';
import type { ModelInfo } from './local/modelInfo';

const CAPABILITY_TEXT: Readonly<Record<keyof BackendCapabilities, string>> = {
  infill: 'fill-in-the-middle',
  tokenize: 'tokenize / detokenize',
  vocabulary: 'vocabulary with raw token bytes (byte-level token healing)',
  tokenPrompt: 'prompts as token ids',
  nextTokenDistribution: 'next-token distribution (top-k)',
  logitBias: 'logit bias / token masks (constrained healing)',
  verifyDraft: 'one-batch draft verification with KV rollback (lossless speculation)',
  prefixCache: 'KV-cache reuse of a shared prefix',
  tokenHealing: 'token healing in the backend (the cut token re-produced under a constraint)',
};

/** What each missing capability costs the user. */
const WITHOUT: Partial<Record<keyof BackendCapabilities, string>> = {
  vocabulary: 'token healing works on text only (it cannot constrain generation to the removed bytes)',
  logitBias: 'healing cannot mask tokens; it falls back to its text-level form',
  verifyDraft: 'no speculative decoding: completions arrive at plain generation speed',
  tokenPrompt: 'prompts are sent as text and tokenized by the server',
  tokenHealing: 'a cursor inside a word is healed at text level: the partial word is cut and the suggestion must re-type it',
};

function mib(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function capabilityRows(c: BackendCapabilities): string[] {
  const rows = ['| Capability | |', '|---|---|'];
  for (const k of Object.keys(CAPABILITY_TEXT) as (keyof BackendCapabilities)[]) rows.push(`| ${CAPABILITY_TEXT[k]} | ${c[k] ? 'yes' : `**no**${WITHOUT[k] ? ` — ${WITHOUT[k]}` : ''}`} |`);
  return rows;
}

/** Markdown for "Show Model Info" of the local backend. `tokenText` renders a token id's text. */
export function localModelReport(
  info: ModelInfo,
  load: { contextSize: number; loadMs: number } | undefined,
  capabilities: BackendCapabilities,
  tokenText: (id: number) => string,
  extra: { shipped: boolean; enginePid?: number | undefined },
): string {
  const tok = (id: number | undefined): string => (id === undefined || id < 0 ? '—' : `${id} \`${tokenText(id).replace(/`/g, '\\`')}\``);
  const f = info.fim;
  const lines = [
    `# ${info.name ?? info.path}`,
    '',
    extra.shipped ? '_The small model shipped with Tokenscope (trained by the project; see tools/README.md). Pick a real one with **Tokenscope: Download Model**._\n' : '',
    '| | |',
    '|---|---|',
    `| File | \`${info.path}\` (${mib(info.sizeBytes)}) |`,
    `| Architecture | ${info.architecture} |`,
    `| Quantization | ${info.quantization} |`,
    `| Parameters (shape) | ${info.blockCount ?? '?'} layers × ${info.embeddingLength ?? '?'} embedding |`,
    `| Training context | ${info.contextLength ?? '?'} tokens |`,
    `| Context in use | ${load ? `${load.contextSize} tokens` : 'not loaded'} |`,
    `| Load time | ${load ? `${(load.loadMs / 1000).toFixed(2)} s` : '—'} |`,
    `| Vocabulary | ${info.vocabSize} tokens, ${info.tokenizerModel} (pre-tokenizer ${info.preTokenizer}) |`,
    `| BOS / EOS | ${tok(info.bos)} / ${tok(info.eos)} |`,
    `| FIM prefix / suffix / middle | ${tok(f.prefix)} / ${tok(f.suffix)} / ${tok(f.middle)} |`,
    `| FIM order and source | ${f.order.toUpperCase()}, ${f.source === 'metadata' ? 'as llama.cpp resolves them (GGUF metadata or its marker table)' : `from the ${f.source} family's markers (llama.cpp does not resolve them)`} |`,
    `| Engine | llama.cpp via node-llama-cpp, separate process${extra.enginePid ? ` (pid ${extra.enginePid})` : ''} |`,
    '',
    '## Capabilities',
    '',
    ...capabilityRows(capabilities),
    '',
  ];
  return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n');
}

/** Markdown for "Show Model Info" of a remote backend. */
export function remoteBackendReport(kind: string, url: string, model: string, health: string, capabilities: BackendCapabilities): string {
  return [
    `# ${kind} at ${url}`,
    '',
    '| | |',
    '|---|---|',
    `| Backend | ${kind} |`,
    `| URL | \`${url}\` |`,
    `| Model | ${model || '(server default)'} |`,
    `| Health | ${health} |`,
    '',
    '## Capabilities',
    '',
    ...capabilityRows(capabilities),
    '',
  ].join('\n');
}
