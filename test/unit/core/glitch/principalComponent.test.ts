import * as assert from 'assert';
import { CovarianceProduct, centerRows, normalizeInPlace, normalizedStep, principalComponentOfRows } from '../../../../src/core/glitch/principalComponent';

function near(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-9): void {
  assert.strictEqual(actual.length, expected.length);
  for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(actual[k]! - expected[k]!) <= tolerance, `[${k}] ${actual[k]} ≠ ${expected[k]}`);
}

const rows = (...r: number[][]): Float32Array => Float32Array.from(r.flat());

describe('core/glitch/principalComponent', () => {
  it('finds the diagonal direction of a centred 2-D cloud (covariance [[.505, .495], [.495, .505]])', () => {
    // eigenvalues 1 along (1, 1)/√2 and 0.01 along (1, −1)/√2; trace 1.01
    const x = rows([1, 1], [-1, -1], [0.1, -0.1], [-0.1, 0.1]);
    const pc = principalComponentOfRows(x, 4, 2);
    near(pc.vector, [Math.SQRT1_2, Math.SQRT1_2]);
    assert.ok(Math.abs(pc.eigenvalue - 1) < 1e-6, `eigenvalue ${pc.eigenvalue}`);
    assert.ok(Math.abs(pc.totalVariance - 1.01) < 1e-6, `total variance ${pc.totalVariance}`);
    assert.strictEqual(pc.converged, true);
    assert.ok(pc.iterations <= 2, `${pc.iterations} Lanczos steps for a 2-D problem`);
  });

  it('picks the axis of largest variance of a diagonal covariance and makes its largest component positive', () => {
    // covariance diag(1/3, 4/3, 3): the third axis; (0, 0, −1) is the same direction, reported as (0, 0, 1)
    const x = rows([0, 0, 3], [0, 0, -3], [0, 2, 0], [0, -2, 0], [1, 0, 0], [-1, 0, 0]);
    const pc = principalComponentOfRows(x, 6, 3);
    near(pc.vector, [0, 0, 1], 1e-7);
    assert.ok(Math.abs(pc.eigenvalue - 3) < 1e-6, `eigenvalue ${pc.eigenvalue}`);
    assert.ok(Math.abs(pc.totalVariance - 14 / 3) < 1e-6);
    assert.ok(pc.residual < 1e-6, `residual ${pc.residual}`);
  });

  it('centres rows in place', () => {
    const x = rows([1, 2], [3, 4]);
    centerRows(x, 2, 2, Float64Array.of(2, 3));
    near(x, [-1, -1, 1, 1]);
  });

  it('multiplies by the covariance of streamed uncentred rows: C·v = Σ (x − μ)((x − μ)·v) / n', () => {
    // rows (1, 2), (3, 4): mean (2, 3), centred (−1, −1), (1, 1), so C = [[1, 1], [1, 1]]
    const product = new CovarianceProduct(Float64Array.of(2, 3), Float64Array.of(1, 0));
    product.addRow(Float32Array.of(1, 2));
    product.addRow(Float32Array.of(3, 4));
    near(product.result(2), [1, 1]);
  });

  it('normalizes one power step and reports its Rayleigh quotient and residual', () => {
    const exact = normalizedStep(Float64Array.of(1, 0), Float64Array.of(2, 0));
    near(exact.vector, [1, 0]);
    assert.strictEqual(exact.eigenvalue, 2);
    assert.strictEqual(exact.residual, 0);
    // w = (3, 4) from v = (1, 0): λ = 3, |w − λv| = 4, so the residual is 4/3
    const off = normalizedStep(Float64Array.of(1, 0), Float64Array.of(3, 4));
    near(off.vector, [0.6, 0.8]);
    assert.strictEqual(off.eigenvalue, 3);
    assert.ok(Math.abs(off.residual - 4 / 3) < 1e-12);
    const zero = normalizedStep(Float64Array.of(0, 1), Float64Array.of(0, 0));
    near(zero.vector, [0, 1], 0);
    assert.strictEqual(zero.residual, 1);
  });

  it('normalizes a vector in place and leaves the zero vector alone', () => {
    const v = Float64Array.of(3, 4);
    normalizeInPlace(v);
    near(v, [0.6, 0.8]);
    const z = new Float64Array(2);
    normalizeInPlace(z);
    near(z, [0, 0], 0);
  });
});
