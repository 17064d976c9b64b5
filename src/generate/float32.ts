/**
 * float32(): numbers biased toward the places where float32 numerics break.
 *
 * Each draw first picks a class, then a value inside it:
 *
 * | class        | values |
 * |--------------|--------|
 * | zero         | +0, -0 |
 * | subnormal    | nonzero values below 2^-126 in magnitude, exponent-uniform, incl. 2^-149 and the largest subnormal |
 * | minNormal    | ±2^-126 and its neighbours |
 * | maxFinite    | ±3.4028235e38 and its neighbour below |
 * | nearOne      | ±1, 1 + ulp, 1 - ulp/2 |
 * | expEdge      | just below/above ±88.72 (exp overflow), -87.34 (exp subnormal), -103.97 (exp underflows to 0) |
 * | float16Edge  | ±65504, ±65520 (first value rounding to Inf in float16), float16's smallest normal and subnormal |
 * | sigmoidEdge  | around ±17.33, where float32 sigmoid rounds to exactly 1 |
 * | powerOfTwo   | ±2^e with e uniform over -149..127 |
 * | wide         | exponent-uniform values over the whole range (random mantissa) |
 * | ordinary     | uniform in [-10, 10] and small integers |
 * | nan, infinity| NaN, ±Infinity — only with `nonFinite: true` |
 *
 * Options restrict the range (`min`, `max`), exclude values, pick classes or reweight them.
 * The same object is a fast-check `Arbitrary<number>` (for scalars such as a learning rate) and
 * tensor `Elements` (for the contents of a tensor). Per tensor, 20% of draws use one class for
 * every element (all subnormal, all at the exp edge), 20% one magnitude for every element (all
 * about 1e37: sums and norms overflow), 20% ordinary values with a few specials, and the rest
 * mix classes element by element. `focus` adds a zone of the caller's choosing (all elements near
 * one magnitude) with a probability of its own.
 */
import * as fc from 'fast-check';
import { uniform, type Elements } from './elements.ts';
import {
  EXP_OVERFLOW_EDGE,
  EXP_SUBNORMAL_EDGE,
  EXP_UNDERFLOW_EDGE,
  FLOAT16_MAX,
  FLOAT16_MIN_NORMAL,
  FLOAT16_MIN_SUBNORMAL,
  MAX_FLOAT32,
  MAX_SUBNORMAL,
  MIN_NORMAL,
  MIN_SUBNORMAL,
  SIGMOID_SATURATION,
  isSubnormal,
  nextDown,
  nextUp,
} from '../core/float32.ts';
import { simplerCandidates } from '../shrink/simplify-number.ts';

export const FLOAT32_CLASSES = [
  'zero',
  'subnormal',
  'minNormal',
  'maxFinite',
  'nearOne',
  'expEdge',
  'float16Edge',
  'sigmoidEdge',
  'powerOfTwo',
  'wide',
  'ordinary',
  'nan',
  'infinity',
] as const;
export type Float32Class = (typeof FLOAT32_CLASSES)[number];

export interface Float32Options {
  /** Smallest value produced (inclusive). Default -3.4028235e38 (or -Infinity with nonFinite). */
  min?: number;
  /** Largest value produced (inclusive). Default 3.4028235e38 (or Infinity with nonFinite). */
  max?: number;
  /** Produce NaN and ±Infinity too. Default false. */
  nonFinite?: boolean;
  /** Values never produced: a list (compared with Object.is, so -0 and 0 differ) or a predicate. */
  exclude?: readonly number[] | ((x: number) => boolean);
  /** Only these classes. */
  classes?: readonly Float32Class[];
  /** Relative weight of each class (default weights favour ordinary and wide values). */
  weights?: Partial<Record<Float32Class, number>>;
  /**
   * A zone the classes rarely reach, drawn for a whole tensor with probability `p`: every element
   * ±m·[1 - spread, 1] (random signs; spread 0.5 unless given) for one magnitude m of `at`. For
   * example m = 3.4e38 (sums overflow on the way while the exact sum is finite) or 2.6e19 (squares
   * overflow); `sign` fixes the sign of every element. A list gives several zones, each with its
   * own probability (their sum at most 1). Off by default: the draws of a tensor without it are
   * unchanged.
   */
  focus?: Focus | readonly Focus[];
}

/** A zone of magnitudes drawn for a whole tensor (Float32Options.focus). */
export interface Focus {
  /** Probability that a tensor is drawn from this zone. */
  readonly p: number;
  /** Magnitudes m: each element is ±m·[1 - spread, 1]. */
  readonly at: readonly number[];
  /** Every element of this sign (default random signs). */
  readonly sign?: 1 | -1;
  /** How far below m the elements go, as a fraction of m (default 0.5; 0.001 for a narrow band). */
  readonly spread?: number;
}

const DEFAULT_WEIGHTS: Record<Float32Class, number> = {
  zero: 1,
  subnormal: 1,
  minNormal: 1,
  maxFinite: 1,
  nearOne: 1,
  expEdge: 1,
  float16Edge: 1,
  sigmoidEdge: 0.7,
  powerOfTwo: 1.5,
  wide: 2,
  ordinary: 4,
  nan: 0.7,
  infinity: 0.7,
};

const f = Math.fround;
const both = (xs: number[]): number[] => xs.flatMap((x) => [x, -x]);

/** Fixed members of the classes that are finite lists. */
const FIXED: Partial<Record<Float32Class, number[]>> = {
  zero: [0, -0],
  minNormal: both([MIN_NORMAL, nextUp(MIN_NORMAL)]),
  maxFinite: both([MAX_FLOAT32, nextDown(MAX_FLOAT32)]),
  nearOne: both([1, nextUp(1), nextDown(1)]),
  expEdge: [
    ...both([EXP_OVERFLOW_EDGE, nextUp(EXP_OVERFLOW_EDGE)]),
    EXP_SUBNORMAL_EDGE,
    nextDown(EXP_SUBNORMAL_EDGE),
    EXP_UNDERFLOW_EDGE,
    nextDown(EXP_UNDERFLOW_EDGE),
  ],
  float16Edge: both([FLOAT16_MAX, 65520, FLOAT16_MIN_NORMAL, FLOAT16_MIN_SUBNORMAL]),
  sigmoidEdge: both([nextDown(SIGMOID_SATURATION), SIGMOID_SATURATION, nextUp(SIGMOID_SATURATION)]),
  nan: [NaN],
  infinity: [Infinity, -Infinity],
};

/** Which classes a float32 value belongs to (a value may be in several, e.g. 1 is nearOne and powerOfTwo). */
export function classify(x: number): Float32Class[] {
  const out: Float32Class[] = [];
  if (Number.isNaN(x)) return ['nan'];
  if (!Number.isFinite(x)) return ['infinity'];
  for (const [cls, values] of Object.entries(FIXED)) {
    if (values.some((v) => Object.is(v, x))) out.push(cls as Float32Class);
  }
  if (isSubnormal(x)) out.push('subnormal');
  const a = Math.abs(x);
  if (a > 0 && Math.log2(a) === Math.round(Math.log2(a))) out.push('powerOfTwo');
  if (a <= 10 && (Number.isInteger(x) || a < 10)) out.push('ordinary');
  return out;
}

/** log-uniform float32 magnitude in [lo, hi], 0 < lo <= hi. */
function logUniform(mrng: fc.Random, lo: number, hi: number): number {
  const a = Math.log2(lo);
  const b = Math.log2(hi);
  const v = f(2 ** (a + (b - a) * uniform(mrng)));
  return Math.min(Math.max(v, f(lo)), f(hi));
}

class Float32Arbitrary extends fc.Arbitrary<number> implements Elements {
  readonly dtype = 'float32' as const;
  readonly description: string;
  private readonly min: number;
  private readonly max: number;
  private readonly excluded: (x: number) => boolean;
  private readonly classes: Float32Class[];
  private readonly cumulative: number[];
  /** The focus zones (Float32Options.focus as a list). */
  private readonly zones: readonly Focus[];

  constructor(private readonly options: Float32Options) {
    super();
    const nonFinite = options.nonFinite ?? false;
    const min = options.min ?? (nonFinite ? -Infinity : -MAX_FLOAT32);
    const max = options.max ?? (nonFinite ? Infinity : MAX_FLOAT32);
    if (Number.isNaN(min) || Number.isNaN(max)) throw new RangeError('float32: min and max must be numbers, not NaN');
    if (min > max) throw new RangeError(`float32: min (${min}) is greater than max (${max})`);
    this.min = min;
    this.max = max;
    const ex = options.exclude;
    this.excluded = typeof ex === 'function' ? ex : ex ? (x) => ex.some((e) => Object.is(e, x)) : () => false;
    const allowed = options.classes ?? FLOAT32_CLASSES.filter((c) => nonFinite || (c !== 'nan' && c !== 'infinity'));
    for (const c of allowed) {
      if (!(FLOAT32_CLASSES as readonly string[]).includes(c)) throw new RangeError(`float32: unknown class '${c}'`);
    }
    const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    // keep the classes that can produce at least one value inside the range
    this.classes = allowed.filter((c) => weights[c] > 0 && this.canProduce(c));
    if (this.classes.length === 0) throw new RangeError(`float32: no value class fits in [${min}, ${max}]`);
    let total = 0;
    this.cumulative = this.classes.map((c) => (total += weights[c]));
    this.zones = options.focus === undefined ? [] : 'p' in options.focus ? [options.focus] : options.focus;
    const range = options.min !== undefined || options.max !== undefined ? ` in [${min}, ${max}]` : '';
    this.description = `float32${range}${nonFinite ? ' incl. NaN/±Inf' : ''}`;
  }

  contains = (x: number): boolean => {
    if (typeof x !== 'number') return false;
    if (Number.isNaN(x)) return (this.options.nonFinite ?? false) && !this.excluded(x);
    if (!Number.isFinite(x) && !(this.options.nonFinite ?? false)) return false;
    return x >= this.min && x <= this.max && Object.is(f(x), x) && !this.excluded(x);
  };

  private canProduce(c: Float32Class): boolean {
    const fixed = FIXED[c];
    if (fixed) return fixed.some((v) => this.contains(v));
    const lo = this.min;
    const hi = this.max;
    if (c === 'subnormal') {
      return (hi >= MIN_SUBNORMAL && lo <= MAX_SUBNORMAL) || (lo <= -MIN_SUBNORMAL && hi >= -MAX_SUBNORMAL);
    }
    if (c === 'powerOfTwo' || c === 'wide') return hi > lo || (hi === lo && hi !== 0);
    if (c === 'ordinary') return true;
    return false;
  }

  /** A value of class c, possibly outside the range (the caller checks). */
  private sampleClass(mrng: fc.Random, c: Float32Class): number {
    const fixed = FIXED[c];
    if (fixed) {
      const inRange = fixed.filter((v) => this.contains(v));
      return inRange[mrng.nextInt(0, inRange.length - 1)]!;
    }
    const sign = this.randomSign(mrng);
    switch (c) {
      case 'subnormal': {
        const r = mrng.nextInt(0, 9);
        if (r === 0) return sign * MIN_SUBNORMAL;
        if (r === 1) return sign * MAX_SUBNORMAL;
        return sign * logUniform(mrng, MIN_SUBNORMAL, MAX_SUBNORMAL);
      }
      case 'powerOfTwo': {
        const [lo, hi] = this.magnitudeBounds(sign);
        const e = mrng.nextInt(Math.ceil(Math.log2(lo)), Math.floor(Math.log2(hi)));
        return sign * 2 ** e;
      }
      case 'wide': {
        const [lo, hi] = this.magnitudeBounds(sign);
        return sign * logUniform(mrng, lo, hi);
      }
      default: {
        // ordinary
        const lo = Math.max(this.min, -10);
        const hi = Math.min(this.max, 10);
        if (lo <= hi) {
          if (mrng.nextInt(0, 2) === 0) {
            const a = Math.ceil(lo);
            const b = Math.floor(hi);
            if (a <= b) return mrng.nextInt(a, b);
          }
          return f(lo + (hi - lo) * uniform(mrng));
        }
        const [mlo, mhi] = this.magnitudeBounds(sign);
        return sign * logUniform(mrng, mlo, mhi);
      }
    }
  }

  /** A sign allowed by the range (positive when both are). */
  private randomSign(mrng: fc.Random): number {
    if (this.min >= 0) return 1;
    if (this.max <= 0) return -1;
    return mrng.nextInt(0, 1) === 0 ? 1 : -1;
  }

  /** Magnitude bounds [lo, hi] (both > 0, finite) of range values with the given sign. */
  private magnitudeBounds(sign: number): [number, number] {
    const a = sign > 0 ? Math.max(this.min, 0) : Math.max(-this.max, 0);
    const b = sign > 0 ? this.max : -this.min;
    const lo = Math.max(a, MIN_SUBNORMAL);
    const hi = Math.min(Math.max(b, lo), MAX_FLOAT32);
    return [lo, hi];
  }

  private pickClass(mrng: fc.Random): Float32Class {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const r = uniform(mrng) * total;
    const i = this.cumulative.findIndex((c) => r < c);
    return this.classes[i === -1 ? this.classes.length - 1 : i]!;
  }

  /** One value of class c inside the domain, or of another class when c keeps missing it. */
  sampleOf(mrng: fc.Random, c: Float32Class): number {
    for (let attempt = 0; attempt < 20; attempt++) {
      const x = this.sampleClass(mrng, attempt < 10 ? c : this.pickClass(mrng));
      if (this.contains(x)) return x;
    }
    // a narrow range with exclusions: fall back to a uniform value inside it
    for (let attempt = 0; attempt < 100; attempt++) {
      const lo = Math.max(this.min, -MAX_FLOAT32);
      const hi = Math.min(this.max, MAX_FLOAT32);
      const x = f(lo + (hi - lo) * uniform(mrng));
      if (this.contains(x)) return x;
    }
    throw new RangeError(`float32: could not produce a value in [${this.min}, ${this.max}] outside the exclusions`);
  }

  sample(mrng: fc.Random): number {
    return this.sampleOf(mrng, this.pickClass(mrng));
  }

  /** The zone a tensor's draw falls in (one uniform draw for all zones), if any. */
  private pickFocus(mrng: fc.Random): Focus | undefined {
    if (this.zones.length === 0) return undefined;
    let u = uniform(mrng);
    for (const zone of this.zones) {
      if (u < zone.p) return zone.at.length > 0 ? zone : undefined;
      u -= zone.p;
    }
    return undefined;
  }

  fill(mrng: fc.Random, size: number): number[] {
    const out = new Array<number>(size);
    const focus = this.pickFocus(mrng);
    if (focus) {
      const m = focus.at[mrng.nextInt(0, focus.at.length - 1)]!;
      const spread = focus.spread ?? 0.5;
      for (let i = 0; i < size; i++) {
        const x = f((focus.sign ?? this.randomSign(mrng)) * m * (1 - spread + spread * uniform(mrng)));
        out[i] = this.contains(x) ? x : this.sample(mrng);
      }
      return out;
    }
    const mode = size > 1 ? mrng.nextInt(0, 9) : 9;
    if (mode <= 1) {
      // homogeneous: every element from one class (all subnormal, all at the exp edge, ...)
      const c = this.pickClass(mrng);
      for (let i = 0; i < size; i++) out[i] = this.sampleOf(mrng, c);
    } else if (mode <= 3) {
      // one magnitude for the whole tensor (all about 1e37, all about 1e-20): sums and norms overflow or underflow
      const sign0 = this.randomSign(mrng);
      const [lo, hi] = this.magnitudeBounds(sign0);
      const m = logUniform(mrng, lo, hi);
      for (let i = 0; i < size; i++) {
        const x = f(this.randomSign(mrng) * m * (0.5 + 0.5 * uniform(mrng)));
        out[i] = this.contains(x) ? x : this.sample(mrng);
      }
    } else if (mode <= 5 && this.classes.includes('ordinary')) {
      // ordinary values with a few specials
      for (let i = 0; i < size; i++) {
        out[i] = mrng.nextInt(0, 7) === 0 ? this.sample(mrng) : this.sampleOf(mrng, 'ordinary');
      }
    } else {
      for (let i = 0; i < size; i++) out[i] = this.sample(mrng);
    }
    return out;
  }

  simpler(x: number): Iterable<number> {
    return simplerCandidates(x, this.contains);
  }

  generate(mrng: fc.Random): fc.Value<number> {
    return new fc.Value(this.sample(mrng), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is number {
    return typeof value === 'number' && this.contains(value);
  }

  shrink(value: number): fc.Stream<fc.Value<number>> {
    return new fc.Stream(
      (function* (it: Iterable<number>) {
        for (const c of it) yield new fc.Value(c, undefined);
      })(this.simpler(value)),
    );
  }
}

export type Float32Arb = fc.Arbitrary<number> & Elements;

/**
 * `focus` for sums: one tensor in ten is all ±[MAX/2, MAX], so partial sums overflow while the
 * exact sum, after cancellation, is often finite (the zone of a naive float32 accumulation).
 */
export const OVERFLOWING_SUMS: Focus = { p: 0.1, at: [MAX_FLOAT32] };

/** `focus` for sums of squares: one tensor in ten is all about ±2.6e19 (= 2^64.5), where x² overflows. */
export const OVERFLOWING_SQUARES: Focus = { p: 0.1, at: [2 ** 64.5] };

/**
 * `focus` for sums and products at the bottom of the normal range: one tensor in five is all
 * ±[2^-126, 2^-125] (random signs). Two of them of opposite signs sum to a subnormal (exactly), and
 * each times anything below 1 is one, so partial sums and products pass through subnormals while
 * the exact answer is often normal: the zone where a backend that flushes subnormals to zero (as
 * TensorFlow's kernels do) loses the answer.
 */
export const UNDERFLOWING_SUMS: Focus = { p: 0.2, at: [2 * MIN_NORMAL] };

/** Float32 numbers biased toward numerical trouble spots; see the module doc for the classes. */
export function float32(options: Float32Options = {}): Float32Arb {
  return new Float32Arbitrary(options);
}
