/**
 * The request, its progress events and its result between the extension host and the model-analysis
 * process (modelAnalysisProcess.ts), over a RequestChannel.
 */

/** One under-trained candidate, as stored in the cache and shown in reports. */
export interface AnalysedCandidate {
  readonly id: number;
  /** The token's text (invalid UTF-8 shown with U+FFFD). */
  readonly text: string;
  /** Indicator value (norm or cosine distance); low = suspicious. */
  readonly value: number;
  /** 0 = most suspicious of the whole vocabulary. */
  readonly rank: number;
  /** Filled by verification by prompting: max probability of repeating it, and the verdict. */
  readonly verification?: { readonly maxProbability: number; readonly verdict: 'under-trained' | 'inconclusive' | 'trained' };
}

/** The summary of one model's analysis: what the cache keeps (≈ 100 bytes per candidate). */
export interface ModelAnalysis {
  readonly version: 1;
  readonly modelPath: string;
  readonly modelName: string;
  readonly fingerprint: string;
  readonly indicator: string;
  readonly indicatorLabel: string;
  readonly tied: boolean;
  readonly reason: string;
  readonly tensor: { readonly name: string; readonly type: string; readonly rows: number; readonly rowElements: number };
  readonly vocabSize: number;
  readonly candidateFraction: number;
  readonly referenceSource: string;
  readonly referenceCount: number;
  readonly categoryCounts: Readonly<Record<string, number>>;
  readonly candidates: readonly AnalysedCandidate[];
  readonly ms: number;
  readonly analysedAt: string;
}

export type AnalysisRequest =
  | { readonly op: 'analyse'; readonly modelPath: string; readonly cacheDir: string; readonly force?: boolean }
  | { readonly op: 'verify'; readonly modelPath: string; readonly cacheDir: string; readonly fingerprint: string; readonly ids: readonly number[] };

export interface AnalysisProgress {
  readonly fraction: number;
  readonly phase: string;
}

export interface AnalysisResult {
  readonly analysis: ModelAnalysis;
  /** Served from the cache (same fingerprint analysed before). */
  readonly cached: boolean;
}
