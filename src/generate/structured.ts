/**
 * Large structured vectors: where accumulation matters (sums, means, dot products, matMul,
 * convolutions), errors grow with the number of terms and show only in long, structured inputs —
 * a constant fill, a ramp, alternating signs — that random small tensors never are.
 *
 * `structured(names, options)` draws one length n (log-uniform in `size`) and, for each name, a
 * pattern with its parameters; every vector has n elements. Shrinking halves n (all vectors at
 * once) and then simplifies each pattern toward a constant 1, so a minimal case stays a few
 * dozen candidates away however long the first failing vector was.
 */
import * as fc from 'fast-check';
import { tensorValue, type TensorValue } from '../core/tensor-value.ts';
import { uniform } from './elements.ts';

export const PATTERNS = ['constant', 'ramp', 'alternating', 'uniform'] as const;
export type Pattern = (typeof PATTERNS)[number];

/** One vector's recipe: element i is a function of i. */
export interface PatternSpec {
  readonly pattern: Pattern;
  /** constant: the value; ramp: the step; alternating: the ± amplitude; uniform: the upper bound. */
  readonly value: number;
  /** Added to every element (ramp start, alternating offset). */
  readonly offset: number;
  /** Seed of the pseudo-random `uniform` pattern. */
  readonly seed: number;
}

export interface StructuredOptions<K extends string = string> {
  /** Vector length bounds (default 1,000 .. 1,000,000). */
  readonly size?: { readonly min?: number; readonly max?: number };
  /** Patterns to draw from (default all); one listed twice is drawn twice as often. */
  readonly patterns?: readonly Pattern[];
  /** A tensor's shape from the length n (default [n]): `(n) => [1, n]` for a row, `(n) => [n, 1]` for a column. */
  readonly shapes?: Partial<Record<K, (n: number) => readonly number[]>>;
}

/** Values of a pattern: small "round" magnitudes users have (0.1, 1/3, 1e-3, 7, ...). */
const VALUES = [0.1, 1, 1 / 3, 1e-3, 0.7, 7, 100, 1e-5].map(Math.fround);
const OFFSETS = [0, 0.1, 1e-3, 1].map(Math.fround);

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The elements of a pattern of length n (as float32). */
export function patternData(spec: PatternSpec, n: number): Float32Array {
  const out = new Float32Array(n);
  const { value, offset } = spec;
  switch (spec.pattern) {
    case 'constant':
      out.fill(value);
      break;
    case 'ramp':
      for (let i = 0; i < n; i++) out[i] = offset + i * value;
      break;
    case 'alternating':
      for (let i = 0; i < n; i++) out[i] = offset + (i % 2 === 0 ? value : -value);
      break;
    case 'uniform': {
      const next = lcg(spec.seed);
      for (let i = 0; i < n; i++) out[i] = offset + value * next();
      break;
    }
  }
  return out;
}

interface Recipe {
  readonly n: number;
  readonly specs: readonly PatternSpec[];
}

const pick = <T>(mrng: fc.Random, xs: readonly T[]): T => xs[mrng.nextInt(0, xs.length - 1)]!;

class StructuredArbitrary<K extends string> extends fc.Arbitrary<Record<K, TensorValue>> {
  private readonly min: number;
  private readonly max: number;
  private readonly patterns: readonly Pattern[];

  constructor(
    private readonly names: readonly K[],
    private readonly options: StructuredOptions<K>,
  ) {
    super();
    this.min = options.size?.min ?? 1000;
    this.max = options.size?.max ?? 1_000_000;
    this.patterns = options.patterns ?? PATTERNS;
    if (!Number.isInteger(this.min) || this.min < 1 || this.max < this.min) {
      throw new RangeError(`structured: size must satisfy 1 <= min <= max, got [${this.min}, ${this.max}]`);
    }
    if (this.patterns.length === 0 || this.patterns.some((p) => !PATTERNS.includes(p))) {
      throw new RangeError(`structured: patterns must be among ${PATTERNS.join(', ')}`);
    }
  }

  private build(recipe: Recipe): Record<K, TensorValue> {
    return Object.fromEntries(
      this.names.map((name, i) => [name, tensorValue(this.options.shapes?.[name]?.(recipe.n) ?? [recipe.n], patternData(recipe.specs[i]!, recipe.n))]),
    ) as Record<K, TensorValue>;
  }

  generate(mrng: fc.Random): fc.Value<Record<K, TensorValue>> {
    const lo = Math.log2(this.min);
    const hi = Math.log2(this.max);
    const n = Math.min(this.max, Math.max(this.min, Math.round(2 ** (lo + (hi - lo) * uniform(mrng)))));
    const specs = this.names.map(
      (): PatternSpec => ({ pattern: pick(mrng, this.patterns), value: pick(mrng, VALUES), offset: pick(mrng, OFFSETS), seed: mrng.nextInt(1, 0x7fffffff) }),
    );
    const recipe: Recipe = { n, specs };
    return new fc.Value(this.build(recipe), recipe);
  }

  canShrinkWithoutContext(_value: unknown): _value is Record<K, TensorValue> {
    return false;
  }

  shrink(_value: Record<K, TensorValue>, context: unknown): fc.Stream<fc.Value<Record<K, TensorValue>>> {
    const recipe = context as Recipe | undefined;
    if (recipe === undefined) return fc.Stream.nil();
    const self = this;
    return new fc.Stream(
      (function* () {
        const candidates: Recipe[] = [];
        // shorter first: down to the minimum, then halving
        if (recipe.n > self.min) {
          candidates.push({ ...recipe, n: self.min });
          const half = Math.max(self.min, Math.floor(recipe.n / 2));
          if (half !== self.min) candidates.push({ ...recipe, n: half });
        }
        // then each vector toward a constant 1 with no offset
        recipe.specs.forEach((spec, i) => {
          const simpler: PatternSpec[] = [];
          if (spec.pattern !== 'constant' && self.patterns.includes('constant')) simpler.push({ ...spec, pattern: 'constant', offset: 0 });
          if (spec.offset !== 0) simpler.push({ ...spec, offset: 0 });
          if (spec.value !== 1) simpler.push({ ...spec, value: 1 });
          for (const s of simpler) candidates.push({ ...recipe, specs: recipe.specs.map((x, j) => (j === i ? s : x)) });
        });
        for (const c of candidates) yield new fc.Value(self.build(c), c);
      })(),
    );
  }
}

/**
 * Long structured vectors of one shared length, one per name:
 *
 * ```ts
 * structured(['a', 'b'], { size: { min: 1e3, max: 1e6 } }) // { a: TensorValue [n], b: TensorValue [n] }
 * ```
 */
export function structured<const K extends string>(names: readonly K[], options: StructuredOptions<K> = {}): fc.Arbitrary<Record<K, TensorValue>> {
  if (names.length === 0) throw new RangeError('structured: give at least one name');
  return new StructuredArbitrary(names, options);
}
