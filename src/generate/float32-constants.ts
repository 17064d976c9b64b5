/**
 * Float32 landmarks: the values where float32 numerics break.
 *
 * All values are exact float32 numbers (Math.fround of themselves).
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

/** True when x is a nonzero float32 subnormal. */
export function isSubnormal(x: number): boolean {
  return x !== 0 && Math.abs(x) < MIN_NORMAL;
}

/** Count of float32 values between two float32 numbers (0 when equal; ±0 count as equal). */
export function float32Distance(a: number, b: number): number {
  return Math.abs(orderedIndex(a) - orderedIndex(b));
}

/** Position of a finite float32 on the number line of all float32 values (0 for ±0). */
export function orderedIndex(x: number): number {
  scratch[0] = x;
  const u = bits[0]!;
  const magnitude = u & 0x7fffffff;
  return u >>> 31 ? -magnitude : magnitude;
}
