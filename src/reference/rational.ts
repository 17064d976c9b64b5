/**
 * Exact rational arithmetic on doubles with BigInt, for sums, means, variances, dot products and
 * norms.
 *
 * Every double is an integer times a power of two, so a sum of doubles scaled by 2^S (S the
 * largest negative exponent among them) is a plain integer sum, and a product of two such
 * numbers an integer product. No precision setting is involved: the result is exact and is then
 * rounded once to float64 ({@link ratioToDouble}). For float32 inputs S <= 149, so the integers
 * stay under about 300 bits and this costs well under a microsecond per element.
 *
 * These are the slow paths; the references try a float64 evaluation with an error bound first.
 */
import { decompose, isFloat32Midpoint, ldexp, nextDown64, nextUp64 } from '../core/float32.ts';

/** The smallest S >= 0 such that every value times 2^S is an integer (values finite). */
export function commonScale(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) continue;
    const e = decompose(v).exponent;
    if (-e > s) s = -e;
  }
  return s;
}

/** v * 2^scale as a BigInt (must be an integer). */
export function scaled(v: number, scale: number): bigint {
  if (v === 0) return 0n;
  const { mantissa, exponent } = decompose(v);
  return BigInt(mantissa) << BigInt(exponent + scale);
}

export function bitLength(a: bigint): number {
  if (a === 0n) return 0;
  const x = a < 0n ? -a : a;
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/**
 * num / (den * 2^scale) correctly rounded to float64 (den > 0), then moved one float64 step
 * towards the true value if it landed exactly on a float32 midpoint it does not equal.
 */
export function ratioToDouble(num: bigint, den: bigint, scale: number): number {
  if (num === 0n) return 0;
  if (den <= 0n) throw new RangeError('ratioToDouble: denominator must be positive');
  const negative = num < 0n;
  const a = negative ? -num : num;
  // Make a quotient with 66..67 significant bits plus a sticky bit.
  const shift = 66 - (bitLength(a) - bitLength(den));
  let q: bigint;
  let rem: bigint;
  if (shift >= 0) {
    const n = a << BigInt(shift);
    q = n / den;
    rem = n % den;
  } else {
    const d = den << BigInt(-shift);
    q = a / d;
    rem = a % d;
  }
  const q2 = (q << 1n) | (rem === 0n ? 0n : 1n);
  const approx = Number(q2); // round-to-nearest of a >= 67-bit integer whose last bit is sticky
  const exp2 = -shift - scale - 1;
  let d = ldexp(approx, exp2);
  if (isFloat32Midpoint(d)) {
    const back = BigInt(approx);
    if (back !== q2) d = back < q2 ? nextUp64(d) : nextDown64(d);
  }
  return negative ? -d : d;
}

/** Integer square root: floor(sqrt(n)) for n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2)); // >= sqrt(n)
  // Newton from above converges monotonically.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** sqrt(num * 2^-scale) for num >= 0, correctly rounded to float64 (with the float32-midpoint nudge). */
export function sqrtToDouble(num: bigint, scale: number): number {
  if (num === 0n) return 0;
  // Make the scale even and the radicand large enough for a 67-bit root.
  let n = num;
  let s = scale;
  const grow = Math.max(0, 134 - bitLength(n));
  const extra = grow + ((s + grow) % 2 === 0 ? 0 : 1);
  n <<= BigInt(extra);
  s += extra;
  const r = isqrt(n);
  const sticky = r * r === n ? 0n : 1n;
  const q2 = (r << 1n) | sticky;
  const approx = Number(q2);
  let d = ldexp(approx, -s / 2 - 1);
  if (isFloat32Midpoint(d)) {
    const back = BigInt(approx);
    if (back !== q2) d = back < q2 ? nextUp64(d) : nextDown64(d);
  }
  return d;
}
