/**
 * ML-shaped value sources: logits, probabilities, labels, weights, gradients, learning rates.
 *
 * Each is tensor Elements (use it as `tensor({ elements: logits() })`) and, where a scalar makes
 * sense, also a fast-check Arbitrary<number> via {@link scalar}.
 */
import * as fc from 'fast-check';
import { elementwise, uniform, type Elements } from './elements.ts';
import { float32 } from './float32.ts';
import { MAX_FLOAT32, MIN_SUBNORMAL, nextDown } from '../core/float32.ts';
import { simplerCandidates } from '../shrink/simplify-number.ts';
import { tensorValue, type TensorValue } from '../core/tensor-value.ts';
import { keepSubsets, sliceAxis } from '../shrink/shrink-tensor.ts';

const f = Math.fround;
const finite = (x: number): boolean => Number.isFinite(x) && Object.is(f(x), x);

function logUniform(mrng: fc.Random, lo: number, hi: number): number {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Math.min(Math.max(f(10 ** (a + (b - a) * uniform(mrng))), f(lo)), f(hi));
}

/** Any Elements as a scalar fast-check arbitrary (one number, shrinking within the domain). */
export function scalar(elements: Elements): fc.Arbitrary<number> {
  return new (class extends fc.Arbitrary<number> {
    generate(mrng: fc.Random, bias: number | undefined): fc.Value<number> {
      return new fc.Value(elements.fill(mrng, 1, bias)[0]!, undefined);
    }
    canShrinkWithoutContext(value: unknown): value is number {
      return typeof value === 'number' && elements.contains(value);
    }
    shrink(value: number): fc.Stream<fc.Value<number>> {
      return new fc.Stream(
        (function* () {
          for (const c of elements.simpler(value)) yield new fc.Value(c, undefined);
        })(),
      );
    }
  })();
}

export interface LogitsOptions {
  /** Largest magnitude (default 3.4e38, the whole float32 range). */
  maxMagnitude?: number;
}

/**
 * Logits: ordinary values, values around sigmoid saturation (±17.33) and the exp overflow edge
 * (±88.72), saturated values up to `maxMagnitude`, and zeros.
 */
export function logits(options: LogitsOptions = {}): fc.Arbitrary<number> & Elements {
  const m = options.maxMagnitude ?? MAX_FLOAT32;
  return float32({
    min: -m,
    max: m,
    classes: ['ordinary', 'sigmoidEdge', 'expEdge', 'wide', 'zero', 'nearOne', 'maxFinite', 'float16Edge'],
    weights: { ordinary: 5, sigmoidEdge: 2, expEdge: 2, wide: 3, zero: 1, nearOne: 1, maxFinite: 0.5, float16Edge: 0.5 },
  });
}

/**
 * Probabilities in [0, 1]: exact 0 and 1, values a hair from 0 (down to the smallest subnormal)
 * and from 1 (1 - 2^-24), and uniform values.
 */
export function probabilities(): Elements {
  const contains = (x: number): boolean => finite(x) && x >= 0 && x <= 1;
  return elementwise(
    'probabilities in [0, 1] incl. exact 0 and 1',
    (mrng) => {
      switch (mrng.nextInt(0, 5)) {
        case 0:
          return mrng.nextInt(0, 1);
        case 1:
          return logUniform(mrng, MIN_SUBNORMAL, 1e-3);
        case 2:
          return f(1 - logUniform(mrng, 2 ** -24, 1e-3));
        case 3:
          return mrng.nextInt(0, 1) === 0 ? nextDown(1) : 2 ** -24;
        default:
          return f(uniform(mrng));
      }
    },
    contains,
  );
}

/** Binary labels: exactly 0 or 1. */
export function binaryLabels(): Elements {
  return elementwise(
    'binary labels 0/1',
    (mrng) => mrng.nextInt(0, 1),
    (x) => x === 0 || x === 1,
  );
}

export interface OneHotOptions {
  /** Rows (default 1-8). */
  batch?: { min?: number; max?: number } | number;
  /** Classes (default 2-10). */
  classes?: { min?: number; max?: number } | number;
}

function bounds(b: { min?: number; max?: number } | number | undefined, dmin: number, dmax: number): [number, number] {
  if (typeof b === 'number') return [b, b];
  return [b?.min ?? dmin, b?.max ?? Math.max(dmax, b?.min ?? dmin)];
}

/** One-hot label matrices [batch, classes]: one 1 per row. Shrinks rows away and the hot class toward 0. */
export function oneHotLabels(options: OneHotOptions = {}): fc.Arbitrary<TensorValue> {
  const [bmin, bmax] = bounds(options.batch, 1, 8);
  const [cmin, cmax] = bounds(options.classes, 2, 10);
  if (bmin < 1 || cmin < 1 || bmax < bmin || cmax < cmin) throw new RangeError('oneHotLabels: batch and classes need 1 <= min <= max');
  const build = (rows: number[], classes: number): TensorValue => {
    const data = new Array<number>(rows.length * classes).fill(0);
    rows.forEach((c, r) => {
      data[r * classes + c] = 1;
    });
    return tensorValue([rows.length, classes], data);
  };
  const hotOf = (t: TensorValue): number[] | undefined => {
    if (t.shape.length !== 2) return undefined;
    const [b, c] = t.shape as [number, number];
    const rows: number[] = [];
    for (let r = 0; r < b; r++) {
      const row = Array.from(t.data.subarray(r * c, (r + 1) * c));
      if (row.filter((v) => v === 1).length !== 1 || row.some((v) => v !== 0 && v !== 1)) return undefined;
      rows.push(row.indexOf(1));
    }
    return rows;
  };
  return new (class extends fc.Arbitrary<TensorValue> {
    generate(mrng: fc.Random): fc.Value<TensorValue> {
      const b = mrng.nextInt(bmin, bmax);
      const c = mrng.nextInt(cmin, cmax);
      return new fc.Value(
        build(
          Array.from({ length: b }, () => mrng.nextInt(0, c - 1)),
          c,
        ),
        undefined,
      );
    }
    canShrinkWithoutContext(value: unknown): value is TensorValue {
      const t = value as TensorValue;
      return hotOf(t) !== undefined && t.shape[0]! >= bmin && t.shape[0]! <= bmax && t.shape[1]! >= cmin && t.shape[1]! <= cmax;
    }
    shrink(value: TensorValue): fc.Stream<fc.Value<TensorValue>> {
      const rows = hotOf(value) ?? [];
      const c = value.shape[1] ?? cmin;
      return new fc.Stream(
        (function* () {
          for (const keep of keepSubsets(rows.length, bmin)) yield new fc.Value(sliceAxis(value, 0, keep), undefined);
          for (let r = 0; r < rows.length; r++) {
            for (let k = 0; k < rows[r]!; k++) {
              const next = [...rows];
              next[r] = k;
              yield new fc.Value(build(next, c), undefined);
            }
          }
        })(),
      );
    }
  })();
}

export type InitScheme = 'glorot' | 'he' | 'lecun' | { uniform: [number, number] };

export interface WeightOptions {
  /** Init scheme; default: drawn per tensor among glorot, he, lecun and uniform(-1, 1). */
  init?: InitScheme;
  /** Scale multiplying the init; default drawn per tensor, log-uniform from 1e-30 to 1e30, often 1. */
  scale?: number;
  /** Fan-in / fan-out for the scheme; default sqrt(size) each. */
  fanIn?: number;
  fanOut?: number;
}

/**
 * Weights as initialized by a scheme at a scale: glorot U(±sqrt(6/(in+out))), he U(±sqrt(6/in)),
 * lecun U(±sqrt(3/in)), or U(a, b) — times a per-tensor scale from tiny (1e-30) to huge (1e30).
 * Shrinks toward simple finite values.
 */
export function weights(options: WeightOptions = {}): Elements {
  const schemes: InitScheme[] = ['glorot', 'he', 'lecun', { uniform: [-1, 1] }];
  const describe = (s: InitScheme): string => (typeof s === 'string' ? s : `U(${s.uniform[0]}, ${s.uniform[1]})`);
  if (options.scale !== undefined && !(options.scale > 0 && Number.isFinite(options.scale))) {
    throw new RangeError(`weights: scale must be a positive finite number, got ${options.scale}`);
  }
  if (options.init && typeof options.init !== 'string' && !(options.init.uniform[0] <= options.init.uniform[1])) {
    throw new RangeError('weights: uniform init needs [a, b] with a <= b');
  }
  return {
    dtype: 'float32',
    description: `weights (${options.init ? describe(options.init) : 'glorot/he/lecun/uniform'} init${options.scale ? ` x ${options.scale}` : ', scale 1e-30..1e30'})`,
    fill(mrng, size) {
      const scheme = options.init ?? schemes[mrng.nextInt(0, schemes.length - 1)]!;
      let scale = options.scale;
      if (scale === undefined) {
        const r = mrng.nextInt(0, 3);
        scale = r === 0 ? 1 : r === 1 ? [1e-3, 10, 1e3, 1e6][mrng.nextInt(0, 3)]! : logUniform(mrng, 1e-30, 1e30);
      }
      const fanIn = options.fanIn ?? Math.max(1, Math.round(Math.sqrt(size)));
      const fanOut = options.fanOut ?? fanIn;
      let lo: number;
      let hi: number;
      if (typeof scheme === 'string') {
        const limit = scheme === 'glorot' ? Math.sqrt(6 / (fanIn + fanOut)) : scheme === 'he' ? Math.sqrt(6 / fanIn) : Math.sqrt(3 / fanIn);
        [lo, hi] = [-limit, limit];
      } else [lo, hi] = scheme.uniform;
      const out = new Array<number>(size);
      for (let i = 0; i < size; i++) {
        const v = f(scale * (lo + (hi - lo) * uniform(mrng)));
        out[i] = Number.isFinite(v) ? v : Math.sign(v) * MAX_FLOAT32;
      }
      return out;
    },
    contains: finite,
    simpler: (x) => simplerCandidates(x, finite),
  };
}

export interface GradientValuesOptions {
  /** Smallest magnitude scale (default 1e-45). */
  minMagnitude?: number;
  /** Largest magnitude scale (default 3e38). */
  maxMagnitude?: number;
}

/**
 * Gradients: a per-tensor magnitude drawn log-uniformly from 1e-45 to 3e38 (so whole tensors of
 * tiny or huge gradients occur), elements uniform in ±magnitude with some exact zeros.
 */
export function gradients(options: GradientValuesOptions = {}): Elements {
  const lo = options.minMagnitude ?? 1e-45;
  const hi = options.maxMagnitude ?? 3e38;
  if (!(lo > 0 && hi >= lo && hi <= MAX_FLOAT32)) throw new RangeError(`gradients: need 0 < minMagnitude <= maxMagnitude <= 3.4e38`);
  return {
    dtype: 'float32',
    description: `gradients, magnitudes ${lo}..${hi}`,
    fill(mrng, size) {
      const mag = mrng.nextInt(0, 4) === 0 ? [lo, hi, 1][mrng.nextInt(0, 2)]! : logUniform(mrng, lo, hi);
      const out = new Array<number>(size);
      for (let i = 0; i < size; i++) {
        out[i] = mrng.nextInt(0, 9) === 0 ? 0 : f(mag * (2 * uniform(mrng) - 1)) || f(mag);
      }
      return out;
    },
    contains: finite,
    simpler: (x) => simplerCandidates(x, finite),
  };
}

/** Learning rates from 1e-8 to 1e3: common values (1e-3, 0.1, 100, ...) and log-uniform ones. */
export function learningRates(options: { min?: number; max?: number } = {}): fc.Arbitrary<number> {
  const lo = options.min ?? 1e-8;
  const hi = options.max ?? 1e3;
  if (!(lo > 0 && hi >= lo)) throw new RangeError('learningRates: need 0 < min <= max');
  const common = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000].map(f).filter((x) => x >= f(lo) && x <= f(hi));
  const contains = (x: number): boolean => finite(x) && x >= f(lo) && x <= f(hi);
  return scalar(
    elementwise(
      `learning rates ${lo}..${hi}`,
      (mrng) => (common.length > 0 && mrng.nextInt(0, 2) === 0 ? common[mrng.nextInt(0, common.length - 1)]! : logUniform(mrng, lo, hi)),
      contains,
    ),
  );
}

/** Integers in [min, max] as tensor elements (float32 by default), shrinking toward 0. */
export function integers(min: number, max: number, dtype: 'float32' | 'int32' = 'float32'): Elements {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) throw new RangeError(`integers: need integers min <= max, got [${min}, ${max}]`);
  return elementwise(
    `integers in [${min}, ${max}]`,
    (mrng) => mrng.nextInt(min, max),
    (v) => Number.isInteger(v) && v >= min && v <= max,
    dtype,
  );
}
