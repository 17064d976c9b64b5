/**
 * Double-double arithmetic: a middle tier between float64 and BigNumber.
 *
 * A double-double is an unevaluated sum hi + lo of two doubles with |lo| <= ulp(hi)/2, about 106
 * bits of precision. Operations follow Dekker and Knuth (TwoSum, TwoProduct with Veltkamp
 * splitting, as JavaScript has no fused multiply-add). The softmax references use it to recompute
 * a row's sum of exponentials when float64 leaves an element's float32 rounding open: 1,024 exps
 * cost ~0.2 ms this way against ~1 s in BigNumber. Each result carries a conservative error bound
 * (2^-90 relative per exp, far looser than the ~2^-100 achieved); what double-double cannot
 * settle still goes to BigNumber.
 */
import { isFloat32Midpoint, nextDown64, nextUp64, roundingInterval32 } from '../core/float32.ts';

/** A double-double value; `hi + lo` exactly. */
export interface DD {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1

export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

export function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

export function ddAdd(a: DD, b: DD): DD {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  let r = quickTwoSum(s.hi, s.lo + t.hi);
  r = quickTwoSum(r.hi, r.lo + t.lo);
  return r;
}

export function ddNeg(a: DD): DD {
  return { hi: -a.hi, lo: -a.lo };
}

export function ddSub(a: DD, b: DD): DD {
  return ddAdd(a, ddNeg(b));
}

export function ddMul(a: DD, b: DD): DD {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

export function ddMulNum(a: DD, b: number): DD {
  const p = twoProd(a.hi, b);
  return quickTwoSum(p.hi, p.lo + a.lo * b);
}

export function ddDiv(a: DD, b: DD): DD {
  const q1 = a.hi / b.hi;
  const r = ddSub(a, ddMulNum(b, q1));
  const q2 = r.hi / b.hi;
  const r2 = ddSub(r, ddMulNum(b, q2));
  const q3 = r2.hi / b.hi;
  return ddAdd(quickTwoSum(q1, q2), { hi: q3, lo: 0 });
}

const LN2: DD = { hi: 0.6931471805599453, lo: 2.3190468138462996e-17 };
const TERMS = 14;
const INV_FACT: DD[] = (() => {
  // 1/k! as double-doubles, k = 0..14, by double-double division.
  const out: DD[] = [{ hi: 1, lo: 0 }];
  for (let k = 1; k <= TERMS; k++) out.push(ddDiv(out[k - 1]!, { hi: k, lo: 0 }));
  return out;
})();

/** Relative error bound claimed for {@link ddExp} (measured below 2^-100; see the tests). */
export const DD_EXP_ERR = 2 ** -90;

/**
 * e^x for a double-double x with -650 <= x <= 700 (below, the low part of the result would be
 * subnormal; callers bound such terms instead). Argument reduction
 * x = k·ln2 + r, |r| <= ln2/2, then r/16 through a 15-term Taylor series and 4 squarings.
 */
export function ddExp(x: DD): DD {
  const k = Math.round(x.hi / LN2.hi);
  // r = x - k*ln2 with k*ln2 as a double-double product
  const kl = ddAdd(twoProd(k, LN2.hi), { hi: k * LN2.lo, lo: 0 });
  let r = ddSub(x, kl);
  r = { hi: r.hi / 16, lo: r.lo / 16 }; // exact scaling
  // Taylor: sum_{j<=14} r^j / j!, Horner
  let s = INV_FACT[TERMS]!;
  for (let j = TERMS - 1; j >= 0; j--) s = ddAdd(ddMul(s, r), INV_FACT[j]!);
  for (let i = 0; i < 4; i++) s = ddMul(s, s);
  const scale = 2 ** k; // exact for |k| <= 1010
  return { hi: s.hi * scale, lo: s.lo * scale };
}

/**
 * log1p(s) for s >= 0 as a double-double. Below 2^-20 the series s - s^2/2 + ... + s^5/5
 * (truncation under 2^-100 relative); above, one Newton step y + ((1 + s) - e^y) / e^y from the
 * float64 log1p, which squares its error.
 */
export function ddLog1p(s: DD): DD {
  if (s.hi < 2 ** -20) {
    let power = s;
    let sum = s;
    for (let k = 2; k <= 5; k++) {
      power = ddNeg(ddMul(power, s));
      sum = ddAdd(sum, ddDiv(power, { hi: k, lo: 0 }));
    }
    return sum;
  }
  const y0 = Math.log1p(s.hi + s.lo);
  const e = ddExp({ hi: y0, lo: 0 });
  const onePlus = ddAdd({ hi: 1, lo: 0 }, s);
  return ddAdd({ hi: y0, lo: 0 }, ddDiv(ddSub(onePlus, e), e));
}

/**
 * Error bound claimed for {@link ddLog1p}: 2^-88 relative below s = 2^-20, 2^-88 absolute above
 * (the Newton step's e^y is good to 2^-90 relative, near 1 that is absolute).
 */
export function ddLog1pError(s: number, result: number): number {
  return s < 2 ** -20 ? 2 ** -88 * Math.abs(result) : 2 ** -88 * (1 + Math.abs(result));
}

/**
 * Whether every real within `err` of hi + lo rounds to one float32, and the double to store for
 * it (hi, moved one float64 step towards lo if hi sits exactly on a float32 midpoint).
 */
export function settlesDD(v: DD, err: number): { ok: boolean; value: number } {
  const { hi, lo } = v;
  if (!Number.isFinite(hi) || !(err >= 0)) return { ok: false, value: hi };
  let base = hi;
  if (lo !== 0 && isFloat32Midpoint(hi)) base = lo > 0 ? nextUp64(hi) : nextDown64(hi);
  else if (lo === 0 && err > 0 && isFloat32Midpoint(hi)) return { ok: false, value: hi };
  const [a, b] = roundingInterval32(base);
  const below = a === -Infinity ? Infinity : hi - a + lo;
  const above = b === Infinity ? Infinity : b - hi - lo;
  return { ok: below > 2 * err && above > 2 * err, value: base };
}
