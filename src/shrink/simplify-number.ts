/**
 * Simplicity order on float32 numbers, and the candidates one number shrinks to.
 *
 * A counterexample is easier to read when its numbers are simple. The order used here, from
 * simplest: 0; then integers up to 2^24 by magnitude (positive before negative); then larger
 * values by number of significant decimal digits, then magnitude; then fractions the same way;
 * then ±Infinity; then NaN. Every candidate
 * produced by {@link simplerCandidates} is strictly simpler than its source in this order, so
 * greedy shrinking always terminates.
 *
 * Candidates come simplest-first where that is cheap (0, ±1, powers of ten), then as a bisection
 * toward zero, so a failure with a threshold ("fails when x > 88.72") ends next to the threshold
 * on a simple number (89) in a logarithmic number of steps.
 */
import { MAX_FLOAT32 } from '../core/float32.ts';

const f = Math.fround;
/** Above 2^24, float32 values are all integers and are compared by their digits. */
const LARGE = 2 ** 24;

/** Number of significant decimal digits of the shortest text that reads back as this float32. */
export function significantDigits(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return 0;
  for (let p = 1; p <= 9; p++) {
    if (f(Number(x.toPrecision(p))) === x) return p;
  }
  return 9;
}

/** The shortest decimal text that reads back as this float32 (e.g. 0.1 rather than 0.10000000149011612). */
export function shortestFloat32(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(significantDigits(x)));
}

function isIntegral(x: number): boolean {
  return Number.isFinite(x) && Math.trunc(x) === x;
}

/** Lexicographic complexity key; smaller is simpler. */
export function complexity(x: number): number[] {
  if (Number.isNaN(x)) return [5];
  if (!Number.isFinite(x)) return [4, x < 0 ? 1 : 0];
  if (x === 0) return [0, Object.is(x, -0) ? 1 : 0];
  const sign = x < 0 ? 1 : 0;
  // integers float32 counts exactly (|x| <= 2^24) by magnitude; beyond, every float is an
  // integer and fewer digits read simpler (4e37 before 3.2114107e37)
  if (isIntegral(x) && Math.abs(x) <= LARGE) return [1, Math.abs(x), sign];
  if (isIntegral(x)) return [2, significantDigits(x), Math.abs(x), sign];
  return [3, significantDigits(x), Math.abs(x), sign];
}

/** True when a is strictly simpler than b. */
export function isSimpler(a: number, b: number): boolean {
  const ka = complexity(a);
  const kb = complexity(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const x = ka[i] ?? -1;
    const y = kb[i] ?? -1;
    if (x !== y) return x < y;
  }
  return false;
}

function* rawCandidates(x: number): Generator<number> {
  yield 0;
  if (Number.isNaN(x) || !Number.isFinite(x)) {
    yield 1;
    yield -1;
    const sign = Number.isNaN(x) ? 1 : Math.sign(x);
    for (let e = 1; e <= 38; e++) yield sign * 10 ** e;
    yield sign * MAX_FLOAT32;
    if (Number.isNaN(x)) {
      yield Infinity;
      yield -Infinity;
    }
    return;
  }
  const sign = Math.sign(x);
  const mag = Math.abs(x);
  if (x < 0) yield -x;
  // integers simplest first
  yield sign;
  if (mag >= 1) {
    // powers of ten below and just above the magnitude
    for (let p = 10; p <= mag * 10 && p < 3.5e38; p *= 10) yield sign * p;
    if (mag > LARGE) {
      // one-digit values at this decade and the next: 1e37 .. 9e37, 1e38
      const e = Math.floor(Math.log10(mag));
      for (let m = 1; m <= 10; m++) yield sign * m * 10 ** e;
      const digits = significantDigits(x);
      for (let p = 1; p < digits; p++) yield Number(x.toPrecision(p));
    }
    if (isIntegral(x)) {
      // bisection toward 0: x/2, 3x/4, 7x/8, ..., x - 1
      let d = Math.trunc(mag / 2);
      while (d >= 1) {
        yield sign * (mag - d);
        d = Math.trunc(d / 2);
      }
    } else {
      const t = Math.trunc(mag);
      yield sign * t;
      yield sign * (t + 1);
      for (const c of rawCandidates(sign * t)) yield c;
    }
  } else {
    // fractions: powers of ten from the smallest up, then fewer significant digits
    for (let e = -45; e <= 0; e++) {
      const p = 10 ** e;
      if (p > mag * 10) break;
      yield sign * p;
    }
  }
  if (!isIntegral(x)) {
    // one-digit values at the same decade: 0.1 .. 0.9 for 0.5537
    const e = Math.floor(Math.log10(mag));
    for (let m = 1; m <= 9; m++) yield sign * m * 10 ** e;
    const digits = significantDigits(x);
    for (let p = 1; p < digits; p++) yield Number(x.toPrecision(p));
    // bisection in magnitude at no more digits
    let c = x / 2;
    for (let i = 0; i < 60 && c !== 0; i++) {
      yield x - c;
      c /= 2;
    }
  }
}

/**
 * Strictly simpler float32 candidates for x, simplest first where cheap, each unique,
 * restricted to those accepted by `accepts` (the generator's domain).
 */
export function* simplerCandidates(x: number, accepts: (c: number) => boolean = () => true): Generator<number> {
  // a Set compares with SameValueZero, so -0 gets its own key
  const seen = new Set<number | string>();
  for (const raw of rawCandidates(x)) {
    const c = Number.isFinite(raw) ? f(raw) : raw;
    const key = Object.is(c, -0) ? '-0' : c;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!isSimpler(c, x)) continue;
    if (!accepts(c)) continue;
    yield c;
  }
}
