/**
 * Default accuracy tolerances, per op and backend, in one declarative table (the way PyTorch's
 * OpInfo keeps per-dtype tolerances).
 *
 * A {@link Tolerance} is a set of allowances; an element passes when it meets at least one:
 *
 * - `ulps` / `bits`: float32 ULP distance (or Herbie bits) to the correctly rounded answer;
 * - `atol` + `rtol`·|exact|: absolute and relative error, as in numpy/PyTorch;
 * - `ctol`·2^-24·magnitude: error relative to the op's condition magnitude (see
 *   src/reference/exact.ts), i.e. "as accurate as a backward-stable float32 evaluation of the
 *   usual formula, up to ctol roundings". This is what makes sums, variances and log-sum-exp
 *   with cancellation checkable without flagging correct code;
 * - `ptol`·max|exact|: error relative to the largest exact element of the same tensor (for
 *   gradients, whose small elements inherit the rounding of the large ones).
 *
 * A correctly rounded element (0 ULPs) always passes; NaN or ±Infinity where the exact answer
 * rounds to a finite float32 never does.
 *
 * How the numbers were chosen: `npx tsx bench/reference.ts --errors` runs every op on tfjs's
 * cpu backend over ~20,000 float32 inputs per op (log-uniform magnitudes over the whole float32
 * range, both signs, plus hand-picked hard cases: tiny arguments, overflow thresholds, ±0,
 * subnormals) and reports the worst ULP error and the worst error in units of 2^-24·magnitude.
 * Each cpu default is at least 2x the measured worst case (at least 1 ULP), so the defaults
 * pass on the real ops and still fail an implementation that is off by many ULPs; the measured
 * worst cases are kept next to each entry. Where tfjs's formula loses accuracy by design
 * (softplus's exp(x) shortcut: 7 ulps; log(sum) in logSoftmax) the default admits it and the
 * entry says so. Where it loses everything (elu/selu as exp(x) - 1 near 0: 6e8 ulps) the
 * default stays strict: that is a finding, not noise.
 *
 * `wasm` rows come from the same survey on the wasm backend (`--errors --backend wasm`): it
 * computes in float32 and flushes subnormal results to zero (atol 2^-126 admits that), its sums
 * accumulate in float32 (224 ulps, 0.24 roundings on rows of 64), and two of its kernels lose
 * everything near 0, which the rows leave strict: log1p as log(1 + x) (0 for x = 5.9e-8, 8.6e8
 * ulps) and selu as exp(x) - 1 (elu is fine there). `default` rows, for backends without a row
 * of their own (webgl, webgpu), are looser still: measure before relying on them.
 */

export interface Tolerance {
  /** Accept results within this many float32 ULPs of the correctly rounded answer. */
  readonly ulps?: number;
  /** Accept results with at most this many bits of error (log2(1 + ulps)). */
  readonly bits?: number;
  /** Relative error allowance (with atol: |got - exact| <= atol + rtol·|exact|). */
  readonly rtol?: number;
  /** Absolute error allowance. */
  readonly atol?: number;
  /** Allowance in float32 roundings of the condition magnitude: |got - exact| <= ctol·2^-24·magnitude. */
  readonly ctol?: number;
  /** Allowance relative to the largest |exact| of the same tensor. */
  readonly ptol?: number;
  /**
   * Accumulation allowance, for elements the reference marks as sums (absSum, terms): the error
   * may be `acc` times the standard bound of a float32 sum of n terms computed in blocks of
   * `accBlock` terms combined pairwise, (L(n) + 1)·2^-24·sum|terms| with
   * L(n) = min(n, accBlock) - 1 + ceil(log2(ceil(n / accBlock))) (Higham, ch. 4). accBlock 1
   * (the default) is pairwise summation: L(n) = ceil(log2 n). The +1 is the final rounding.
   */
  readonly acc?: number;
  /** Block length of the summation `acc` assumes (default 1: pairwise). */
  readonly accBlock?: number;
}

/** The accumulation length factor L(n) + 1 of `acc` (see Tolerance.acc). */
export function accumulationFactor(terms: number, block = 1): number {
  if (!(terms > 1)) return 1;
  const b = Math.max(1, Math.min(terms, block));
  return b - 1 + Math.ceil(Math.log2(Math.ceil(terms / b))) + 1;
}

export type Backend = 'cpu' | 'wasm' | 'node' | 'webgl' | 'webgpu';

export interface OpTolerance {
  /** Used for backends without an entry of their own. */
  readonly default: Tolerance;
  readonly cpu?: Tolerance;
  readonly wasm?: Tolerance;
  /** TensorFlow's kernels (Eigen); subnormals read as 0 are judged apart (src/core/float32.ts flushesSubnormals). */
  readonly node?: Tolerance;
  readonly webgl?: Tolerance;
  readonly webgpu?: Tolerance;
  /** Worst errors measured on tfjs 4.22's cpu backend (bench/reference.ts --errors). */
  readonly measured?: string;
}

/**
 * The allowance of a sum: twice the standard error bound of a float32 sum computed in blocks of
 * 256 terms combined pairwise (see Tolerance.acc). Elements the reference does not mark as sums
 * get nothing from it.
 */
export const ACCUMULATION = { acc: 2, accBlock: 256 } as const satisfies Tolerance;

/** The table ("roundings" = |error| / (2^-24 · magnitude), the quantity ctol bounds). */
export const TOLERANCES = {
  // Elementwise: tfjs's cpu kernels evaluate in float64 and round once, so they are correctly rounded.
  exp: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 128, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps in 20,006 inputs (float64 Math.exp, rounded once); webgl: 118 of 2,510 elements out of the default row; 81 with atol 2^-126 (flush to zero), 2 at 32 ulps, 0 at 64 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  expm1: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    node: { ulps: 6 },
    default: { ulps: 4 },
    measured:
      'node: 3 ulps (TensorFlow 2.21, `npx tsx bench/node-elementwise.ts`, 40,000 inputs normal in and out, 2026-12-01); cpu: 0 ulps in 20,004 inputs; webgl: 626 of 2,510 out; 460 with atol 2^-126, 405 even at 4,096 ulps (exp(x) - 1 near 0 and overflow: findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  log: { cpu: { ulps: 1 }, wasm: { ulps: 2, atol: 2 ** -126 }, default: { ulps: 4 }, measured: 'cpu: 0 ulps in 20,004 inputs' },
  log1p: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    node: { ulps: 6 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps in 20,003 inputs; node: 3 ulps (TensorFlow 2.21, `npx tsx bench/node-elementwise.ts`, 40,000 inputs normal in and out, 2026-12-01)',
  },
  sqrt: { cpu: { ulps: 1 }, wasm: { ulps: 1, atol: 2 ** -126 }, default: { ulps: 2 }, measured: 'cpu: 0 ulps in 20,003 inputs' },
  rsqrt: { cpu: { ulps: 1 }, wasm: { ulps: 2, atol: 2 ** -126 }, default: { ulps: 4 }, measured: 'cpu: 0 ulps in 20,003 inputs' },
  sigmoid: {
    cpu: { ulps: 1 },
    wasm: { ulps: 4, atol: 2 ** -126 },
    webgl: { ulps: 32, atol: 2 ** -126 },
    node: { ulps: 10 },
    default: { ulps: 4 },
    measured:
      'node: 5 ulps (TensorFlow 2.21, `npx tsx bench/node-elementwise.ts`, 40,000 inputs normal in and out, 2026-12-01); cpu: 0 ulps in 20,004 inputs; wasm: 3 ulps (1/(1 + exp(-x)) in float32: 0.00010865759 for x = -9.1272, exact 0.000108657616; 0 of 242,096 elements beyond 3, `npx tsx bench/elementwise-errors.ts --backend wasm --samples 20000 --filter ^sigmoid`, 2026-12-03); webgl: 69 of 2,510 out; 32 with atol 2^-126, 10 at 8 ulps, 0 at 16 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  tanh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 4, atol: 2 ** -126 },
    webgl: { ulps: 128, atol: 2 ** -126 },
    node: { ulps: 10 },
    default: { ulps: 4 },
    measured:
      'node: 5 ulps (TensorFlow 2.21, `npx tsx bench/node-elementwise.ts`, 40,000 inputs normal in and out, 2026-12-01); cpu: 0 ulps in 20,003 inputs; webgl: 526 of 2,510 out; 360 with atol 2^-126, 344 from 64 ulps on (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  pow: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 128, atol: 2 ** -126 },
    default: { ulps: 8 },
    measured:
      'cpu: 0 ulps in 20,000 inputs (float64 Math.pow, rounded once); webgl: 547 of 2,950 out; 539 with atol 2^-126, 457 from 64 ulps on (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  softplus: {
    cpu: { ulps: 16 },
    wasm: { ulps: 16, atol: 2 ** -126 },
    webgl: { ulps: 16, atol: 2 ** -126 },
    default: { ulps: 16 },
    measured:
      'cpu: 7 ulps at x = -13.95 (the kernel returns exp(x) below log(2^-23) + 2, dropping -exp(2x)/2); webgl: 352 of 2,510 out; 315 with atol 2^-126, still 78 at 16,384 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  logSigmoid: {
    cpu: { ulps: 16 },
    wasm: { ulps: 16, atol: 2 ** -126 },
    webgl: { ulps: 16, atol: 2 ** -126 },
    default: { ulps: 16 },
    measured:
      'cpu: 7 ulps at x = 13.96 (-softplus(-x)); webgl: 313 of 2,510 out; 301 with atol 2^-126, still 78 at 16,384 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  elu: {
    cpu: { ulps: 2 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps for |x| > 1e-8, but the kernel computes exp(x) - 1: relative error 1.1e-16/|x|, over 2 ulps for -1e-9 < x < 0 and 6e8 ulps (result 0) for |x| < 1.1e-16. Left strict on purpose: that is a real accuracy bug; webgl: 282 of 2,510 out; 266 with atol 2^-126, 248 at 4,096 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  selu: {
    cpu: { ulps: 2 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: as elu (scaleAlpha * (exp(x) - 1)): 6.2e8 ulps at x = -5.4e-17; webgl: 419 of 2,510 out; 299 with atol 2^-126, 280 at 4,096 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  // Elementwise math and binary ops (src/reference/math.ts, binary.ts). Measured with
  // `npx tsx bench/elementwise-errors.ts [--backend wasm] --samples 2000` (the entries' own
  // generators: every float32, special values, gradients; 10,000-30,000 elements per property).
  // tfjs's cpu kernels evaluate in float64 and round once; wasm computes in float32 and flushes
  // subnormals (atol 2^-126). The node backend (TensorFlow 2.21, oneDNN) flushes subnormal inputs
  // and results to zero in nearly every kernel (log(1e-45) = -Infinity, floor(-1e-45) = -0,
  // 4·1e-45 = 0): no node rows, those are findings.
  sin: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps; wasm: sin is wrong everywhere but near 0: 17 ulps at x = 22, 2e9 ulps (wrong sign) above 1e10, 0 for 2e-38 (a finding, not noise; a float32 sinf is within 1 ulp) (2,000 cases per property, seed 1, 2026-12-01)',
  },
  cos: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps; wasm: 8 ulps at 2e10, 3 ulps at x = -1, wrong sign above 1e10 (a finding) (2,000 cases per property, seed 1, 2026-12-01)',
  },
  tan: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps, huge arguments included; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01)',
  },
  asin: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01)',
  },
  acos: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01)',
  },
  atan: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    node: { ulps: 8 },
    default: { ulps: 4 },
    measured:
      'node: 4 ulps (TensorFlow 2.21, `npx tsx bench/node-elementwise.ts`, 40,000 inputs normal in and out, 2026-12-01); cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 134 of 2,510 out; 0 with atol 2^-126 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  sinh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 128, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps (Infinity beyond 89.4 is the correctly rounded answer); wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 695 of 2,510 out; 529 with atol 2^-126, 448 from 128 ulps on (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  cosh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 128, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps (Infinity beyond 89.4 is the correctly rounded answer); wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 171 of 2,510 out; 115 at 16 ulps, 96 from 64 ulps on (overflow: findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  asinh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 1,322 of 2,510 out; 1,156 with atol 2^-126, 855 at 4,096 ulps (x² overflows: findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  acosh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured: 'cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01)',
  },
  atanh: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps; wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 583 of 2,510 out; 417 with atol 2^-126, 384 at 4,096 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  erf: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: tfjs uses Abramowitz-Stegun 7.1.26 (absolute error 1.5e-7): 2 ulps at x = 1, erf(-1.6e-45) = -1e-9, 5,340 of 13,742 elements out (a finding); wasm: 1 ulp (a real erf) (2,000 cases per property, seed 1, 2026-12-01); webgl: 551 of 2,510 out; 430 with atol 2^-126, 397 at 4,096 ulps (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  reciprocal: {
    cpu: { ulps: 1 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 0 ulps; wasm: 0 ulps (2,000 cases per property, seed 1, 2026-12-01); webgl: 115 of 2,510 out; 21 with atol 2^-126 at any ulps (1/x of subnormals overflows: findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  atan2: {
    cpu: { ulps: 2 },
    wasm: { ulps: 2, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'cpu: 1 ulp (subnormal results: Math.atan2 rounded to float64, then to float32); wasm: 1 ulp (2,000 cases per property, seed 1, 2026-12-01); webgl: 227 of 2,950 out; 197 with atol 2^-126, 189 from 16 ulps on (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  arithmetic: {
    cpu: { ulps: 2 },
    wasm: { ulps: 4, atol: 2 ** -126 },
    webgl: { ulps: 4, atol: 2 ** -126 },
    default: { ulps: 4 },
    measured:
      'add, sub, mul, div, divNoNan, square, leakyRelu: 0 ulps on cpu and wasm; squaredDifference 1 ulp on cpu (double rounding of (a - b)² near 2^-150), 2 ulps on wasm; mod: off by the whole divisor where a + b rounds (mod(-1, 1e16) = 0 on cpu and wasm: a finding) (2,000 cases per property, seed 1, 2026-12-01); webgl: 2,299 of 28,582 out; 1,647 with atol 2^-126, 1,553 at 4,096 ulps (0/0 = 1, flushed comparisons: findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  exactOp: {
    cpu: { ulps: 0 },
    wasm: { ulps: 0 },
    default: { ulps: 1 },
    measured:
      'abs, neg, sign, round, floor, ceil, isNaN, isInf, isFinite, relu, relu6, step, prelu, maximum, minimum, comparisons, logical ops, where, clipByValue, floorDiv: 0 ulps on cpu (findings aside: sign(NaN) = 0, floorDiv returns int32, clipByValue(NaN, c, c) = c); wasm flushes subnormal inputs (sign(1e-45) = 0) and drops NaN in maximum, minimum, relu6 and clipByValue (findings) (2,000 cases per property, seed 1, 2026-12-01)',
  },
  elementwiseGradient: {
    cpu: { ulps: 2, ctol: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 2, atol: 2 ** -126, ...ACCUMULATION },
    webgl: { ulps: 16, ctol: 16, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 16, ctol: 16, ...ACCUMULATION },
    measured:
      "gradients of the elementwise entries against their exact derivatives: every element within ctol 1 on cpu and wasm (1,000 cases per property; tfjs's formulas lose up to 512 ulps where they cancel: atanh' = 1/(1 - x²), asin' 190, erf' 61, which the magnitude covers); outside: intermediate overflow (atan', asinh', acosh', reciprocal', div' and atan2' square x above 1.8e19 and return 0), underflow (a² = 0 gives NaN or Infinity) and the NaN of where's untaken branch: findings; webgl: 11,660 of 134,081 out; 9,604 with atol 2^-126, 6,444 at 1,024 times the row (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)",
  },
  // Reductions: cpu accumulates in float64; ctol 2^-20 is far above float64 accumulation and far below float32's.
  // Sums: a good float32 sum (pairwise, or blocked as BLAS libraries do) is within twice the
  // standard bound of a sum in blocks of 256 (ACCUMULATION); a naive left-to-right float32 sum of
  // 10^4 or more same-sign terms is not. Measured (scratch calibration, 2026-12-01, constant 0.1
  // fills, error / pairwise bound): cpu sum 0.01 at 1e6 (float64 accumulation); node (Eigen)
  // 1.8; wasm 7,656 at 1e6 and 50 at 4096 (float32, left to right).
  sum: {
    cpu: { ulps: 1, ...ACCUMULATION },
    wasm: { ulps: 2, ...ACCUMULATION },
    webgl: { ulps: 2, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 2, ...ACCUMULATION },
    measured:
      'cpu: 0 ulps in 400 rows of 64 (float64 accumulation, one rounding); wasm sums left to right in float32 (1% off at 1e6 terms of 0.1); webgl: 13 of 400 out; 1 with atol 2^-126 (a finding) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  mean: {
    cpu: { ulps: 1, atol: 2 ** -143, ...ACCUMULATION },
    wasm: { ulps: 2, ...ACCUMULATION },
    webgl: { ulps: 2, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 2, ...ACCUMULATION },
    measured:
      'cpu: 0 ulps in 400 rows of 64; tf.mean divides each term by n before summing, so huge mixed-sign rows lose up to about one rounding of sum(|x|)/n (3 ulps seen at [2.55e38, -2e38, 0, ...]; within acc, whose sum of |terms| is sum(|x|)/n), and each subnormal term/n rounds to 2^-149 (atol covers 64 of them); webgl: 18 of 400 out; 0 with atol 2^-126 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  variance: {
    cpu: { ulps: 4, ctol: 1 },
    wasm: { ulps: 4, ctol: 1 },
    webgl: { ulps: 8, ctol: 4, atol: 2 ** -126 },
    default: { ulps: 8, ctol: 4 },
    measured:
      'cpu: 49 ulps, 0.042 roundings (two-pass in float32 ops); webgl: 49 of 1,712 out; 0 with atol 2^-126 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  norm: {
    cpu: { ulps: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ...ACCUMULATION },
    default: { ulps: 4, ...ACCUMULATION },
    measured:
      "cpu and wasm: within 0.85 of the sum bound (2.3 for rows along the last axis) (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01); tfjs computes sqrt(sum(x^2)) with x^2 in float32, so it overflows to Infinity for |x| > 1.8e19 and underflows to 0 (or loses all digits) for |x| < 1e-19: findings, not noise; node (TensorFlow) also flushes subnormals",
  },
  matMul: {
    cpu: { ulps: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ...ACCUMULATION },
    webgl: { ulps: 4, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 4, ...ACCUMULATION },
    measured:
      'cpu: 1,980 ulps under cancellation, 0.047 roundings (64x64), within acc; cpu adds float64 block sums of 48 terms into a float32 result (119x the pairwise bound at k = 1e6), wasm sums left to right in float32, node (Eigen) in blocks (8.4x the pairwise bound at 1e6, within acc); webgl: 80 of 1,556 out; 23 with atol 2^-126 at any scale (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  softmax: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 2, atol: 2 ** -126 },
    webgl: { ulps: 8, ctol: 8, atol: 2 ** -126 },
    default: { ulps: 8, ctol: 8 },
    measured:
      'cpu: 65 ulps, 0.95 roundings (exp of the float32 x - max); webgl: 125 of 2,510 out; 93 with atol 2^-126 at any scale (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  logSoftmax: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 8 },
    default: { ulps: 8, ctol: 8 },
    measured: "cpu: 8.6e8 ulps, 0.996 roundings: log(sum) drops log1p(tiny), so -4e-8 comes out as 0; ctol accepts it as the formula's rounding",
  },
  logSumExp: { cpu: { ulps: 2, ctol: 2 }, wasm: { ulps: 2, ctol: 2 }, default: { ulps: 8, ctol: 8 }, measured: 'cpu: 1 ulp, 0.78 roundings' },
  // Losses (measured per element with Reduction.NONE and reduced). The mean over elements is an
  // accumulation (ACCUMULATION: the references mark it with sum |w·loss| / divisor and the count).
  meanSquaredError: {
    cpu: { ulps: 1, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 4, ctol: 2, ...ACCUMULATION },
    webgl: { ulps: 4, ctol: 4, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 4, ctol: 4, ...ACCUMULATION },
    measured:
      'cpu: 0 ulps; webgl: 1 of 400 out; 0 with atol 2^-126 (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  absoluteDifference: {
    cpu: { ulps: 1, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 4, ctol: 1, ...ACCUMULATION },
    default: { ulps: 4, ctol: 4, ...ACCUMULATION },
    measured: 'cpu: 0 ulps',
  },
  huberLoss: {
    cpu: { ulps: 2, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 1, ...ACCUMULATION },
    default: { ulps: 4, ctol: 4, ...ACCUMULATION },
    measured: 'cpu: 1 ulp, 0.21 roundings',
  },
  logLoss: {
    cpu: { ulps: 2, ctol: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 2, ...ACCUMULATION },
    default: { ulps: 8, ctol: 8, ...ACCUMULATION },
    measured: 'cpu: 11 ulps, 0.64 roundings',
  },
  hingeLoss: {
    cpu: { ulps: 1, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 1, ...ACCUMULATION },
    default: { ulps: 4, ctol: 4, ...ACCUMULATION },
    measured: 'cpu: 0 ulps',
  },
  // Reductions, scans, linear algebra, layers and shape ops (issue 14, cat-reductions).
  prod: {
    cpu: { ulps: 1, ctol: 1 },
    wasm: { ulps: 1, ctol: 1 },
    default: { ulps: 2, ctol: 2 },
    measured:
      "cpu: Prod is a float64 running product rounded once (0 ulps); Cumprod multiplies in float32 (0.38 roundings); wasm: 0.47 roundings of the magnitude n·|p| (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01); a partial product that overflows or underflows float32 (Infinity·0 = NaN where the exact product is 0) is a finding",
  },
  extremum: {
    default: { ulps: 0 },
    measured:
      "max, min, norm ord=Infinity, maxPool: an element of the input, exact by definition (0 ulps on cpu and wasm (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01)); NaN swallowed by maxPool and wasm maxPool3d returning 1.2e-38 for negative windows are findings",
  },
  exact: {
    default: { ulps: 0 },
    measured:
      "shape ops, arg-extrema, all/any, oneHot, resizeNearestNeighbor: copies, indices and counts, exact by definition (0 ulps on cpu and wasm (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01))",
  },
  conv: {
    cpu: { ulps: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ...ACCUMULATION },
    default: { ulps: 4, ...ACCUMULATION },
    measured:
      "convolutions, transposed convolutions, average pooling: exact sums of products; passing elements within 1.76 of the float32 sum bound on cpu and wasm (conv2d/conv3d/depthwise with a few thousand channels: cpu accumulates into a float32 output, found beyond about 5,000 terms; wasm avgPool of long windows 1.9) (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01); products or partial sums that overflow float32 where the exact sum is finite are findings",
  },
  batchNorm: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 2 },
    default: { ulps: 8, ctol: 8 },
    measured:
      "cpu: 0 ulps (float64 formula rounded once); wasm: 0.49 roundings of the formula's magnitude, and Infinity where (x - mean)·scale overflows float32 (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01)",
  },
  lrn: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 2 },
    default: { ulps: 8, ctol: 8 },
    measured:
      "cpu: 0 ulps (float64 sum of squares and pow); wasm: 0.36 roundings, and 0 where x^2 overflows float32 (LRN of 2e19 is 1, not 0) (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01)",
  },
  resize: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 2 },
    default: { ulps: 8, ctol: 8 },
    measured:
      "resizeBilinear: cpu within 2.4e-32 roundings (float64 lerp), wasm 1.45 roundings of 2·sum|corners| + |value| (the lerp top + (bottom - top)·frac) (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01); NaN from Infinity - Infinity in the lerp where the exact weighted sum is ±Infinity (or a pixel of weight 0 is infinite) is a finding",
  },
  layerNorm: {
    cpu: { ulps: 4, ctol: 2 },
    wasm: { ulps: 4, ctol: 2 },
    default: { ulps: 8, ctol: 8 },
    measured:
      "layer norm written with tf.moments: cpu 0.56, wasm 0.45 roundings of the two-pass float32 formula's magnitude (bench/reduction-errors.ts, 300 inputs per property from the entries' own generators, 2026-12-01)",
  },
  sigmoidCrossEntropy: {
    cpu: { ulps: 2, ctol: 2, ...ACCUMULATION },
    wasm: { ulps: 4, ctol: 8, ...ACCUMULATION },
    default: { ulps: 8, ctol: 8, ...ACCUMULATION },
    measured:
      'cpu: 837 ulps, 0.84 roundings (max(x,0) - x z cancels for z near 1 and large x); wasm: 56 roundings where log1p(exp(-|x|)) is computed as log(1 + exp(-|x|)) (the wasm log1p finding, left strict)',
  },
  softmaxCrossEntropy: {
    cpu: { ulps: 2, ctol: 2, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 2, ...ACCUMULATION },
    default: { ulps: 8, ctol: 8, ...ACCUMULATION },
    measured: 'cpu: 2.7e4 ulps, 0.92 roundings (x - logSumExp for large logits)',
  },
  cosineDistance: {
    cpu: { ulps: 2, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 1, ...ACCUMULATION },
    default: { ulps: 8, ctol: 4, ...ACCUMULATION },
    measured:
      'cpu: 1.3e6 ulps, 1.01 roundings of the products and the final 1 - dot (1 - dot of nearly parallel unit vectors), within the accumulation bound of the dot product; wasm 1.51 roundings, within it too',
  },
  computeWeightedLoss: {
    cpu: { ulps: 1, ctol: 1, ...ACCUMULATION },
    wasm: { ulps: 2, ctol: 1, ...ACCUMULATION },
    webgl: { ulps: 4, ctol: 4, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 4, ctol: 4, ...ACCUMULATION },
    measured:
      'cpu, 400 cases per Reduction (losses in ±10, weights in [0, 10] with zeros, broadcast from [b, c], [b, 1], [1, c] or a scalar; 2026-12-02): NONE 0 ulps; SUM, MEAN and SUM_BY_NONZERO_WEIGHTS up to 97 ulps under cancellation, within 0.84 of the accumulation bound (float32 products w·loss summed in float64); wasm up to 521 ulps, within 0.84 of it; webgl: 626 of 4,496 out; 456 with atol 2^-126, 453 at 1,024 times the row (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  optimizer: {
    cpu: { ulps: 2, ctol: 2 },
    wasm: { ulps: 2, ctol: 2 },
    webgl: { ulps: 8, ctol: 8, atol: 2 ** -126 },
    default: { ulps: 8, ctol: 8 },
    measured:
      'cpu, one step on 2,000 values: sgd 18 ulps / 0.91 roundings, momentum 0.85, adagrad 0.80, adadelta 0.68, rmsprop 0.38, adam and adamax 0 ulps; webgl: 2,918 of 8,346 out; 2,770 with atol 2^-126, 2,425 at 1,024 times the row (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)',
  },
  gradient: {
    cpu: { ulps: 4, ctol: 16, ptol: 2 ** -20, ...ACCUMULATION },
    webgl: { ulps: 16, ctol: 64, ptol: 2 ** -16, atol: 2 ** -126, ...ACCUMULATION },
    default: { ulps: 16, ctol: 64, ptol: 2 ** -16, ...ACCUMULATION },
    measured:
      "cpu, tf.grads of the reference ops vs exact derivatives: <= 3.9 roundings (logSumExp), 1.2 (softmax, logSoftmax); norm of tiny or huge vectors is NaN/Infinity or 0 (always flagged); rsqrt's x^1.5 overflows for x > 4.9e25 (flagged); webgl: 7,725 of 85,089 out; 6,978 with atol 2^-126, 6,839 at 1,024 times the row (findings) (webgl: SwiftShader, Chromium 156, `npx tsx bench/browser-errors.ts`, 200 cases per property, seed 1, 2026-12-01)",
  },
} as const satisfies Record<string, OpTolerance>;

export type ToleranceName = keyof typeof TOLERANCES;

/** The default tolerance of an op on a backend (its own entry, else the op's default). */
export function toleranceFor(op: ToleranceName, backend: Backend | string = 'cpu'): Tolerance {
  const entry = (TOLERANCES as Record<string, OpTolerance>)[op];
  if (entry === undefined) {
    throw new RangeError(`toleranceFor: no tolerance for op '${String(op)}'; known ops: ${Object.keys(TOLERANCES).join(', ')}`);
  }
  return resolveTolerance(entry, backend);
}

const NAMES = new Map<OpTolerance, ToleranceName>(Object.entries(TOLERANCES).map(([k, v]) => [v as OpTolerance, k as ToleranceName]));

/** The table's name of a row (`exp`, `gradient`, ...), or undefined for a row made elsewhere. */
export function toleranceName(row: OpTolerance): ToleranceName | undefined {
  return NAMES.get(row);
}

/** True for a per-backend row (it has a `default`), false for a plain {@link Tolerance}. */
export function isOpTolerance(t: Tolerance | OpTolerance): t is OpTolerance {
  return typeof (t as OpTolerance).default === 'object';
}

/**
 * The tolerance that applies on `backend`: a plain Tolerance as it is; a row (or a row's name) of
 * the table resolved to the backend's entry, else its default.
 */
export function resolveTolerance(t: Tolerance | OpTolerance | ToleranceName, backend: string): Tolerance {
  if (typeof t === 'string') return toleranceFor(t, backend);
  if (!isOpTolerance(t)) return t;
  return (t as unknown as Record<string, Tolerance | undefined>)[backend] ?? t.default;
}

/** A short description, e.g. "ulps <= 2 or ctol 4". */
export function describeTolerance(t: Tolerance): string {
  const parts: string[] = [];
  if (t.ulps !== undefined) parts.push(`ulps <= ${t.ulps}`);
  if (t.bits !== undefined) parts.push(`bits <= ${t.bits}`);
  const abs: string[] = [];
  if (t.atol !== undefined) abs.push(`atol ${t.atol}`);
  if (t.rtol !== undefined) abs.push(`rtol ${t.rtol}`);
  if (t.ctol !== undefined) abs.push(`ctol ${t.ctol}`);
  if (t.ptol !== undefined) abs.push(`ptol ${t.ptol}`);
  if (t.acc !== undefined) abs.push(`acc ${t.acc}${t.accBlock !== undefined && t.accBlock !== 1 ? ` (blocks of ${t.accBlock})` : ''}`);
  if (abs.length > 0) parts.push(abs.join(' + '));
  return parts.length === 0 ? 'exact (0 ulps)' : parts.join(' or ');
}
