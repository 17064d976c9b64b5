/**
 * The one home of float32 (and float64) facts: landmarks, bit-level helpers, ordinals and the ULP
 * distance. Every stage imports these from here (generators, references, checks, the diff).
 *
 * - Landmarks: the values where float32 numerics break (all exact float32 numbers).
 * - Ordinals and ULPs: {@link float32Ordinal} places a value on the ordered line of all float32
 *   values; {@link ulpDistance} counts the float32 values between two numbers (Herbie's measure).
 * - Rounding: where the float32 rounding boundaries lie around a double, whether an error interval
 *   certifies one float32 ({@link certifies32}), exact decimal text of a double for BigNumber.
 *
 * All helpers treat -0 and +0 as the same number, as float32 comparisons and ULP distances do.
 */

const f = Math.fround;

/** Largest finite float32, 3.4028234663852886e38. */
export const MAX_FLOAT32 = f(3.4028234663852886e38);
/** Smallest positive normal float32, 2^-126. */
export const MIN_NORMAL = 2 ** -126;
/** Smallest positive subnormal float32, 2^-149. */
export const MIN_SUBNORMAL = 2 ** -149;
/** Largest subnormal float32. */
export const MAX_SUBNORMAL = MIN_NORMAL - MIN_SUBNORMAL;
/** Machine epsilon of float32, 2^-23. */
export const EPSILON = 2 ** -23;
/** Largest x whose float32 exp is finite (exp(x) <= MAX_FLOAT32). */
export const EXP_OVERFLOW_EDGE = f(88.72283);
/** Below this, float32 exp(x) is subnormal. */
export const EXP_SUBNORMAL_EDGE = f(-87.33655);
/** Below this, float32 exp(x) rounds to 0. */
export const EXP_UNDERFLOW_EDGE = f(-103.97208);
/** From here on float32 sigmoid(x) rounds to exactly 1. */
export const SIGMOID_SATURATION = f(17.3287);
/** Largest finite float16. */
export const FLOAT16_MAX = 65504;
/** Smallest positive normal float16, 2^-14. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;
/** Smallest positive subnormal float16, 2^-24. */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
/** Largest x whose float32 square is finite: 2^64 - 2^40 (2^64 squared is 2^128, which rounds to Infinity). */
export const SQUARE_OVERFLOW_EDGE = 2 ** 64 - 2 ** 40;

const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);
const ibits = new Int32Array(scratch.buffer);

/** The next float32 after x in the direction of +Infinity. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return MIN_SUBNORMAL;
  scratch[0] = x;
  if (x > 0) bits[0]! += 1;
  else bits[0]! -= 1;
  return scratch[0]!;
}

/** The next float32 after x in the direction of -Infinity. */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** True when x is exactly representable as a float32 (NaN and ±Infinity included). */
export function isFloat32(x: number): boolean {
  return Number.isNaN(x) || Object.is(Math.fround(x), x);
}

/**
 * The verdict of a result that is ±0 where the exact answer, rounded to float32, is a nonzero
 * subnormal: flush-to-zero (of the result or of a subnormal intermediate) — an accuracy deviation
 * of its own kind, as backends that compute with FTZ/DAZ (TensorFlow's kernels, wasm) produce.
 */
export function flushedToZero(got: number, exact: number): boolean {
  const e = Math.fround(exact);
  return got === 0 && e !== 0 && Math.abs(e) < MIN_NORMAL;
}

/** True when x is a nonzero float32 subnormal. */
export function isSubnormal(x: number): boolean {
  return x !== 0 && Math.abs(x) < MIN_NORMAL;
}

/**
 * Position of x (rounded to float32) on the ordered line of all float32 values: ±0 -> 0, the
 * smallest subnormal -> ±1, the largest finite float32 -> ±0x7f7fffff, ±Infinity -> ±0x7f800000
 * (one step past the largest finite value). NaN -> NaN.
 */
export function float32Ordinal(x: number): number {
  if (Number.isNaN(x)) return NaN;
  scratch[0] = x;
  const b = ibits[0]!;
  return b < 0 ? 0 - (b & 0x7fffffff) : b;
}

/**
 * ULP distance: the number of float32 steps between a and b after rounding both to float32.
 *
 * - 0 for equal values, for -0 and +0, and for NaN against NaN;
 * - Infinity when exactly one of them is NaN;
 * - ±Infinity sits one step past the largest finite float32 (its ordinal), so
 *   ulpDistance(MAX_FLOAT32, Infinity) is 1: a result that overflowed where the exact answer
 *   rounds to MAX_FLOAT32 is one ULP off. Whether a finite value against an infinite one is an
 *   accuracy error or a finiteness disagreement is the caller's rule (see src/check/error.ts and
 *   src/diff/compare.ts), not this distance's.
 */
export function ulpDistance(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : Infinity;
  return Math.abs(float32Ordinal(a) - float32Ordinal(b));
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const I64 = new BigInt64Array(F64.buffer);

F64[0] = 1;
/** Index of the high 32-bit word of a double in {@link U32} (1 on little-endian machines). */
const HI = U32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/**
 * Magnitudes at or above this round to Infinity in float32 (round-to-nearest-even: the tie
 * 2^128 - 2^103 goes to the "even" Infinity). Below it they round to {@link MAX_FLOAT32}.
 */
export const FLOAT32_OVERFLOW_THRESHOLD = 2 ** 128 - 2 ** 103;
/** Unit roundoff of float64, 2^-53. */
export const U64 = 2 ** -53;
/** Unit roundoff of float32, 2^-24. */
export const U32_ROUNDOFF = 2 ** -24;

/** floor(log2 |x|) for a finite non-zero double (subnormals included). */
export function exponentOf(x: number): number {
  F64[0] = x;
  const biased = (U32[HI]! >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1023;
  F64[0] = x * 2 ** 64;
  return ((U32[HI]! >>> 20) & 0x7ff) - 1023 - 64;
}

/** A double as `mantissa * 2^exponent` with an integer mantissa, |mantissa| < 2^53. */
export interface Decomposed {
  readonly mantissa: number;
  readonly exponent: number;
}

/**
 * Split a finite double into integer mantissa and exponent with the mantissa made odd (trailing
 * zero bits moved into the exponent), so `exponent` is the weight of the lowest set bit.
 * Zero gives `{ mantissa: 0, exponent: 0 }`.
 */
export function decompose(x: number): Decomposed {
  if (x === 0) return { mantissa: 0, exponent: 0 };
  F64[0] = x;
  const hi = U32[HI]!;
  let lo = U32[LO]!;
  const biased = (hi >>> 20) & 0x7ff;
  let top = hi & 0xfffff;
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    top |= 0x100000;
    exponent = biased - 1075;
  }
  // Strip trailing zero bits so the mantissa is odd.
  if (lo === 0) {
    lo = top;
    top = 0;
    exponent += 32;
  }
  const tz = 31 - Math.clz32(lo & -lo);
  if (tz > 0) {
    lo = ((lo >>> tz) | (top << (32 - tz))) >>> 0;
    top = top >>> tz;
    exponent += tz;
  }
  const mantissa = top * 2 ** 32 + lo;
  return { mantissa: x < 0 ? -mantissa : mantissa, exponent };
}

const POW5: bigint[] = [1n];
function pow5(k: number): bigint {
  while (POW5.length <= k) POW5.push(POW5[POW5.length - 1]! * 5n);
  return POW5[k]!;
}

/**
 * The exact decimal value of a double, e.g. `exactDecimal(Math.fround(0.1))` is
 * `'13421773e-27'`-style text equal to 0.100000001490116119384765625. `-0` gives `'-0'`,
 * non-finite values give `'NaN'`, `'Infinity'`, `'-Infinity'`.
 *
 * BigNumber's own `new BigNumber(x)` reads the shortest round-trip printout of `x`, which is
 * not the value a float32 tensor holds (1.4e-45 is really 1.40129846...e-45, 105 digits).
 */
export function exactDecimal(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { mantissa, exponent } = decompose(x);
  const m = BigInt(mantissa);
  if (exponent >= 0) return (m << BigInt(exponent)).toString();
  // m * 2^e = m * 5^-e * 10^e
  return `${(m * pow5(-exponent)).toString()}e${exponent}`;
}

/** The next double above `d` (towards +Infinity); `d` finite. */
export function nextUp64(d: number): number {
  if (d === 0) return Number.MIN_VALUE;
  F64[0] = d;
  I64[0] = I64[0]! + (d > 0 ? 1n : -1n);
  return F64[0]!;
}

/** The next double below `d` (towards -Infinity); `d` finite. */
export function nextDown64(d: number): number {
  return -nextUp64(-d);
}

/**
 * The open interval of doubles that round to the same float32 as `d`: its ends are the
 * rounding midpoints next to `fround(d)` (or the overflow threshold). A double exactly on an
 * end is a tie and rounds to the neighbour with an even mantissa.
 */
export function roundingInterval32(d: number): [lo: number, hi: number] {
  const f = Math.fround(d);
  if (f === Infinity) return [FLOAT32_OVERFLOW_THRESHOLD, Infinity];
  if (f === -Infinity) return [-Infinity, -FLOAT32_OVERFLOW_THRESHOLD];
  const up = nextUp(f);
  const down = nextDown(f);
  const hi = up === Infinity ? FLOAT32_OVERFLOW_THRESHOLD : (f + up) / 2;
  const lo = down === -Infinity ? -FLOAT32_OVERFLOW_THRESHOLD : (f + down) / 2;
  return [lo, hi];
}

/** True when the double `d` lies exactly halfway between two adjacent float32 values (or on the overflow threshold). */
export function isFloat32Midpoint(d: number): boolean {
  if (!Number.isFinite(d) || Math.fround(d) === d) return false;
  const [lo, hi] = roundingInterval32(d);
  return d === lo || d === hi;
}

/**
 * True when every real number within `err` of `v` rounds to the same float32 (the check is made
 * on `v ± 2·err` so the rounding of the subtraction itself cannot spoil it). `v = ±Infinity` with
 * a finite `err` means a certain overflow and certifies. NaN never certifies.
 */
export function certifies32(v: number, err: number): boolean {
  if (!(err >= 0) || err === Infinity) return false;
  if (Number.isNaN(v)) return false;
  if (err === 0) return true;
  const lo = v - 2 * err;
  const hi = v + 2 * err;
  // When err is below half a float64 step of v the ends collapse onto v; v itself must then not
  // be a rounding midpoint (any other double is at least one float64 step from every midpoint).
  if ((lo === v || hi === v) && isFloat32Midpoint(v)) return false;
  return Math.fround(lo) === Math.fround(hi);
}

/**
 * Gap between adjacent float32 values at |x|: 2^(floor(log2|x|) - 23), at least 2^-149 (the
 * subnormal spacing) and at most 2^104 (the spacing of the top binade).
 */
export function ulp32(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(a)) return NaN;
  if (a < MIN_NORMAL) return MIN_SUBNORMAL;
  if (a === Infinity) return 2 ** 104;
  return 2 ** (Math.min(exponentOf(a), 127) - 23);
}

/** x * 2^e without intermediate overflow or underflow (exact unless the result is subnormal or overflows). */
export function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/**
 * Backends whose kernels may read subnormal inputs as zero and flush subnormal results to zero
 * (DAZ/FTZ), by their documented convention: TensorFlow's CPU kernels (the node backends) set both
 * for speed (tensorflow/core/platform/denormal.h, on for every op), and GPU shaders may flush
 * denormals (GLSL ES 3.00 §4.5.1 and WGSL leave it to the implementation: webgl, webgpu).
 * nanhunt judges their outputs against the exact answer of the inputs as given or, failing that,
 * of the inputs with subnormals read as ±0 and an absolute allowance of 2^-126 on results: the
 * backend's convention, not a finding.
 */
const FLUSHING_BACKENDS: ReadonlySet<string> = new Set(['node', 'node-gpu', 'webgl', 'webgpu']);

/** Whether `backend` reads subnormal inputs as zero and flushes subnormal results (see FLUSHING_BACKENDS). */
export function flushesSubnormals(backend: string | undefined): boolean {
  return backend !== undefined && FLUSHING_BACKENDS.has(backend);
}
