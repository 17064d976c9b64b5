/**
 * Bit-level facts about float32 and float64 that the exact references rely on.
 *
 * The references compute in float64 (or BigNumber) and hand back float64 values. What nanhunt's
 * verdicts need is the *float32 rounding* of the exact answer, so this module answers:
 *
 * - where are the float32 rounding boundaries (midpoints between adjacent float32 values, the
 *   overflow threshold 2^128 - 2^103) around a value ({@link roundingInterval32});
 * - is an interval of candidate values certain to round to one float32 ({@link certifies32});
 * - how to write a double exactly as a decimal string ({@link exactDecimal}), so BigNumber sees
 *   the input the float32 tensor really held rather than its shortest printout;
 * - how to split a double into integer mantissa and binary exponent ({@link decompose}).
 *
 * All helpers treat -0 and +0 as the same number: float32 comparisons and ULP distances do.
 */

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const I64 = new BigInt64Array(F64.buffer);
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

F64[0] = 1;
/** Index of the high 32-bit word of a double in {@link U32} (1 on little-endian machines). */
const HI = U32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** Largest finite float32, 2^128 - 2^104. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Smallest positive normal float32, 2^-126. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;
/** Smallest positive subnormal float32, 2^-149. */
export const FLOAT32_MIN_SUBNORMAL = 2 ** -149;
/**
 * Magnitudes at or above this round to Infinity in float32 (round-to-nearest-even: the tie
 * 2^128 - 2^103 goes to the "even" Infinity). Below it they round to {@link FLOAT32_MAX}.
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

/** The next float32 above the float32 value `f` (towards +Infinity). */
export function nextUp32(f: number): number {
  if (Number.isNaN(f) || f === Infinity) return f;
  if (f === 0) return FLOAT32_MIN_SUBNORMAL;
  F32[0] = f;
  I32[0] = I32[0]! + (F32[0]! > 0 ? 1 : -1);
  return F32[0]!;
}

/** The next float32 below `f` (towards -Infinity). */
export function nextDown32(f: number): number {
  return -nextUp32(-f);
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
  const up = nextUp32(f);
  const down = nextDown32(f);
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
  if (a < FLOAT32_MIN_NORMAL) return FLOAT32_MIN_SUBNORMAL;
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
