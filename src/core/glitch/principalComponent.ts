/**
 * The first principal component of a set of rows, for the tied-model glitch indicator
 * (embeddingIndicator.ts): Lanczos with full reorthogonalisation on an in-memory sample of
 * centred rows, and one power step over rows streamed from disk to refine it. Vectors are
 * Float64Array (sums of millions of float32 products), rows Float32Array, row-major m × d.
 */

/** Lanczos on the sample: at most this many steps (each 2 × sample floats multiply-adds). */
const MAX_LANCZOS_STEPS = 64;
/** Stop when |Cu − θu| / θ falls below this. */
const LANCZOS_TOLERANCE = 1e-7;

export interface PrincipalComponent {
  /** Unit eigenvector, largest component positive. */
  readonly vector: Float64Array;
  /** Its eigenvalue: the variance along it (squared units of the rows). */
  readonly eigenvalue: number;
  /** Trace of the covariance: the total variance. */
  readonly totalVariance: number;
  /** Lanczos steps taken (products with the covariance). */
  readonly iterations: number;
  /** The Ritz residual met LANCZOS_TOLERANCE. */
  readonly converged: boolean;
  /** |Cv − λv| / λ of the result. */
  readonly residual: number;
}

/** Subtracts `mean` from each of the m rows of x (row-major, m × d), in place. O(m·d). */
export function centerRows(x: Float32Array, m: number, d: number, mean: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const base = i * d;
    for (let k = 0; k < d; k++) x[base + k]! -= mean[k]!;
  }
}

/**
 * Leading eigenvector of XᵀX / m for the m centred rows of X (row-major, m × d) by the Lanczos
 * method with full reorthogonalisation: each step is one product with the sample covariance
 * (2·m·d multiply-adds, ≈5–10 ms for an 8 MiB sample), and the top eigenvector converges in
 * roughly the square root of the steps plain power iteration needs (tens, not hundreds, when the
 * leading eigenvalues are close). Stops when the Ritz residual is below 1e-7 of the eigenvalue or
 * after MAX_LANCZOS_STEPS (then the best Ritz vector so far: when the top eigenvalues are nearly
 * equal there is no single "first" direction and any vector of that space serves). Starts from a
 * fixed pseudo-random vector (deterministic); sign fixed (largest component positive).
 */
export function principalComponentOfRows(x: Float32Array, m: number, d: number): PrincipalComponent {
  let totalVariance = 0;
  for (let i = 0; i < m * d; i++) totalVariance += x[i]! * x[i]!;
  totalVariance /= Math.max(1, m);
  const basis: Float64Array[] = [lanczosStart(d)];
  const alpha: number[] = [];
  const beta: number[] = [];
  const w = new Float64Array(d);
  let ritz: { value: number; vector: Float64Array } = { value: 0, vector: new Float64Array([1]) };
  let residual = 1;
  let converged = false;
  const maxSteps = Math.min(MAX_LANCZOS_STEPS, d);
  for (let j = 0; j < maxSteps; j++) {
    const q = basis[j]!;
    covarianceTimes(x, m, d, q, w);
    let a = 0;
    for (let k = 0; k < d; k++) a += q[k]! * w[k]!;
    alpha.push(a);
    // Full reorthogonalisation (twice: one Gram–Schmidt sweep loses orthogonality in floating point).
    for (let sweep = 0; sweep < 2; sweep++) {
      for (const b of basis) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += b[k]! * w[k]!;
        for (let k = 0; k < d; k++) w[k]! -= dot * b[k]!;
      }
    }
    let bNorm = 0;
    for (let k = 0; k < d; k++) bNorm += w[k]! * w[k]!;
    bNorm = Math.sqrt(bNorm);
    ritz = topEigenOfTridiagonal(alpha, beta, j + 1);
    // Residual of the Ritz pair: |C u − θ u| = β_j · |last component of y|.
    residual = ritz.value > 0 ? (bNorm * Math.abs(ritz.vector[j]!)) / ritz.value : 0;
    if (residual < LANCZOS_TOLERANCE || bNorm <= 1e-12 * Math.max(ritz.value, 1e-300)) {
      converged = true;
      break;
    }
    beta.push(bNorm);
    const next = new Float64Array(d);
    for (let k = 0; k < d; k++) next[k] = w[k]! / bNorm;
    basis.push(next);
  }
  return { vector: ritzVector(basis, ritz.vector, d), eigenvalue: ritz.value, totalVariance, iterations: alpha.length, converged, residual };
}

/** The fixed pseudo-random unit vector Lanczos starts from (a linear congruential sequence). */
function lanczosStart(d: number): Float64Array {
  const start = new Float64Array(d);
  let seed = 0x9e3779b9;
  for (let k = 0; k < d; k++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    start[k] = seed / 2 ** 32 - 0.5;
  }
  normalizeInPlace(start);
  return start;
}

/** Σ y_i · basis_i, normalised, its largest component made positive. O(steps · d). */
function ritzVector(basis: readonly Float64Array[], y: Float64Array, d: number): Float64Array {
  const v = new Float64Array(d);
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const b = basis[i]!;
    for (let k = 0; k < d; k++) v[k]! += yi * b[k]!;
  }
  normalizeInPlace(v);
  let maxAbs = 0;
  let sign = 1;
  for (let k = 0; k < d; k++) {
    if (Math.abs(v[k]!) > maxAbs) {
      maxAbs = Math.abs(v[k]!);
      sign = v[k]! < 0 ? -1 : 1;
    }
  }
  if (sign < 0) for (let k = 0; k < d; k++) v[k] = -v[k]!;
  return v;
}

/**
 * C·v for C the covariance of rows streamed one at a time, uncentred, given their mean μ:
 * Σ (x − μ)((x − μ)·v) = Σ t·x − (Σ t)·μ with t = x·v − μ·v, one multiply-add per element
 * (the power step over all rows of a matrix too large for memory).
 */
export class CovarianceProduct {
  private readonly w: Float64Array;
  private readonly muV: number;
  private tSum = 0;

  constructor(
    private readonly mean: Float64Array,
    private readonly v: Float64Array,
  ) {
    this.w = new Float64Array(v.length);
    let muV = 0;
    for (let k = 0; k < v.length; k++) muV += mean[k]! * v[k]!;
    this.muV = muV;
  }

  /** Adds one row (d elements). O(d). */
  addRow(x: Float32Array): void {
    const { w, v } = this;
    const d = v.length;
    let t = -this.muV;
    for (let k = 0; k < d; k++) t += x[k]! * v[k]!;
    for (let k = 0; k < d; k++) w[k]! += t * x[k]!;
    this.tSum += t;
  }

  /** C·v over the n rows added (call once). */
  result(n: number): Float64Array {
    const { w, mean, tSum } = this;
    for (let k = 0; k < w.length; k++) w[k] = (w[k]! - tSum * mean[k]!) / n;
    return w;
  }
}

/** v ← w/|w|, with the Rayleigh quotient λ = v·w and the residual |w − λv| / λ. */
export function normalizedStep(v: Float64Array, w: Float64Array): { vector: Float64Array; eigenvalue: number; residual: number } {
  let lambda = 0;
  let ww = 0;
  for (let k = 0; k < v.length; k++) {
    lambda += v[k]! * w[k]!;
    ww += w[k]! * w[k]!;
  }
  const residual = lambda > 0 ? Math.sqrt(Math.max(0, ww - lambda * lambda)) / lambda : 1;
  const norm = Math.sqrt(ww);
  const out = new Float64Array(v.length);
  if (norm > 0) for (let k = 0; k < v.length; k++) out[k] = w[k]! / norm;
  else out.set(v);
  return { vector: out, eigenvalue: lambda, residual };
}

/** y ← XᵀX v / m for the m rows of X (row-major, m × d): 2·m·d multiply-adds. */
function covarianceTimes(x: Float32Array, m: number, d: number, v: Float64Array, y: Float64Array): void {
  y.fill(0);
  for (let i = 0; i < m; i++) {
    const base = i * d;
    let t = 0;
    for (let k = 0; k < d; k++) t += x[base + k]! * v[k]!;
    for (let k = 0; k < d; k++) y[k]! += t * x[base + k]!;
  }
  const inv = 1 / Math.max(1, m);
  for (let k = 0; k < d; k++) y[k]! *= inv;
}

/**
 * Largest eigenvalue and its unit eigenvector of a symmetric tridiagonal matrix (diagonal a[0..k),
 * off-diagonal b[0..k−1)) by cyclic Jacobi rotations on the dense k × k copy: O(k³) per sweep,
 * negligible for the k ≤ 64 of the Lanczos steps.
 */
function topEigenOfTridiagonal(a: readonly number[], b: readonly number[], k: number): { value: number; vector: Float64Array } {
  const A = new Float64Array(k * k);
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    A[i * k + i] = a[i]!;
    V[i * k + i] = 1;
    if (i + 1 < k) A[i * k + i + 1] = A[(i + 1) * k + i] = b[i]!;
  }
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += A[p * k + q]! * A[p * k + q]!;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) jacobiRotate(A, V, k, p, q);
  }
  let best = 0;
  for (let i = 1; i < k; i++) if (A[i * k + i]! > A[best * k + best]!) best = i;
  const vector = new Float64Array(k);
  for (let r = 0; r < k; r++) vector[r] = V[r * k + best]!;
  return { value: A[best * k + best]!, vector };
}

/** One Jacobi rotation zeroing A[p][q] (A ← JᵀAJ, V ← VJ), k × k row-major. O(k). */
function jacobiRotate(A: Float64Array, V: Float64Array, k: number, p: number, q: number): void {
  const apq = A[p * k + q]!;
  if (Math.abs(apq) < 1e-300) return;
  const theta = (A[q * k + q]! - A[p * k + p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let r = 0; r < k; r++) {
    const arp = A[r * k + p]!;
    const arq = A[r * k + q]!;
    A[r * k + p] = c * arp - s * arq;
    A[r * k + q] = s * arp + c * arq;
  }
  for (let r = 0; r < k; r++) {
    const apr = A[p * k + r]!;
    const aqr = A[q * k + r]!;
    A[p * k + r] = c * apr - s * aqr;
    A[q * k + r] = s * apr + c * aqr;
  }
  for (let r = 0; r < k; r++) {
    const vrp = V[r * k + p]!;
    const vrq = V[r * k + q]!;
    V[r * k + p] = c * vrp - s * vrq;
    V[r * k + q] = s * vrp + c * vrq;
  }
}

/** v ← v / |v| (unchanged when zero). */
export function normalizeInPlace(v: Float64Array): void {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k]! * v[k]!;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let k = 0; k < v.length; k++) v[k]! /= norm;
}
