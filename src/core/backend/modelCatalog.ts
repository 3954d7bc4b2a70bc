/** A FIM code model "Download Model" offers. */
export interface CatalogModel {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly url: string;
  readonly fileName: string;
  /** Approximate size for the picker (bytes); the exact size is checked against the server's headers. */
  readonly approxBytes: number;
  /**
   * SHA-256 when known from a source other than the server (checked in addition to the server's
   * X-Linked-Etag); without it the Hugging Face LFS hash in the response headers is used.
   */
  readonly sha256?: string;
}

/**
 * Base (not instruct) Qwen2.5-Coder models: trained with FIM and the markers llama.cpp reads from
 * their GGUF metadata; the ggml-org Q8_0 conversions are the ones llama.cpp's own FIM tooling
 * (llama.vscode) recommends. The 1.5B hash was published with a Nix fetchurl of the same URL
 * (base32 0ci8lcnsy8qsyh5q0pjv46k2brja7l8kg6pp8giac9sps6a1r1r9, converted to hex).
 */
export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'qwen2.5-coder-1.5b-q8_0',
    label: 'Qwen2.5-Coder 1.5B (Q8_0)',
    description: 'Good completions on a laptop CPU; about 2 GB of memory.',
    url: 'https://huggingface.co/ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-1.5b-q8_0.gguf',
    fileName: 'qwen2.5-coder-1.5b-q8_0.gguf',
    approxBytes: 1_650_000_000,
    sha256: '29871c94d15727a6e243f79a37113d4ae625a6215b5e800bf41a23af2da32832',
  },
  {
    id: 'qwen2.5-coder-0.5b-q8_0',
    label: 'Qwen2.5-Coder 0.5B (Q8_0)',
    description: 'Fastest; weaker completions; also a draft model for speculation. About 700 MB of memory.',
    url: 'https://huggingface.co/ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-0.5b-q8_0.gguf',
    fileName: 'qwen2.5-coder-0.5b-q8_0.gguf',
    approxBytes: 531_000_000,
  },
];
