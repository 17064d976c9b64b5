/**
 * The elementwise catalog (properties/unary.ts, binary.ts, compositions.ts, activations.ts) on
 * real tfjs kernels: negative controls (no false positives where tfjs is right), the findings it
 * reports where tfjs is wrong, and planted kernels with classic numerical defects, each found with
 * a minimal input in the defect's zone.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { runProperty, type Property, type PropertyResult, type TensorValue } from '../../src/index.ts';
import { catalogProperties } from '../../src/catalog/op-info.ts';
import { OP_TABLE } from '../../properties/index.ts';
import { broadcastIndex } from '../../src/reference/input.ts';

const all = catalogProperties(OP_TABLE);
const byName = (name: string): Property => {
  const p = all.find((q) => q.name === name);
  if (!p) throw new Error(`no catalog property ${name}`);
  return p;
};
const RUNS = 300;
const run = (name: string, seed = 3): PropertyResult => runProperty(byName(name), { seed, runs: RUNS });

type Pair = { p: { a: TensorValue; b: TensorValue } };
/** Every element of every tensor of the sampled inputs of a property. */
function sampled(name: string, seed = 3, runs = RUNS): number[] {
  const flat = (v: unknown): number[] => {
    if (v && typeof v === 'object' && 'data' in v && 'shape' in v) return Array.from((v as TensorValue).data);
    if (v && typeof v === 'object') return Object.values(v).flatMap(flat);
    return typeof v === 'number' ? [v] : [];
  };
  return fc.sample(byName(name).arbitrary, { numRuns: runs, seed }).flatMap(flat);
}

function violation(r: PropertyResult): { invariant: string; message: string } {
  expect(r.status).toBe('failed');
  if (r.failure?.kind !== 'violation') throw new Error(`expected a violation, got ${JSON.stringify(r.failure)}`);
  return r.failure.violation;
}

describe('negative controls: tfjs is right, the catalog says so', () => {
  it('a correctly rounded overflow is not a finding: cosh and exp of large arguments, on every float32', () => {
    for (const name of ['cosh', 'exp', 'sinh', 'square']) {
      expect(sampled(name).some((v) => Math.abs(v) > 89.5)).toBe(true); // the answer overflows float32 here
      expect(run(name).status, name).toBe('passed');
    }
  });

  it('NaN propagated by maximum, minimum, add and relu is not a finding', () => {
    for (const name of ['maximum special values', 'minimum special values', 'add special values', 'mul special values', 'relu special values']) {
      expect(sampled(name).some(Number.isNaN), name).toBe(true);
      expect(run(name).status, name).toBe('passed');
    }
  });

  it('sin, cos and tan pass on huge arguments (the cpu kernel reduces them exactly)', () => {
    expect(sampled('sin').some((v) => Math.abs(v) > 1e30)).toBe(true);
    for (const name of ['sin', 'cos', 'tan', 'atan2', 'pow', 'pow integer exponent']) expect(run(name).status, name).toBe('passed');
  });

  it('where never leaks its untaken branch, in value or gradient; clipByValue keeps NaN; IEEE comparisons', () => {
    for (const name of [
      'where special values',
      'where gradient special values',
      'clipByValue special values',
      'clipByValue gradient special values',
      'notEqual special values',
      'less special values',
    ]) {
      expect(run(name).status, name).toBe('passed');
    }
  });

  it('maximum at ties: tfjs splits the gradient (1 to a, 0 to b), which is a subgradient', () => {
    expect(run('maximum gradient special values').status).toBe('passed');
    expect(run('maximum(x, x) gradient special values').status).toBe('passed');
  });
});

describe('findings in tfjs 4.22 (cpu), shrunk to minimal inputs', () => {
  it('pow follows Math.pow, not C99: pow(±1, NaN or ±Infinity) is NaN', () => {
    const r = run('pow special values');
    const v = violation(r);
    expect(v.message).toMatch(/is NaN where the exact answer is finite: 1/);
    const p = (r.counterexample as { p: { base: TensorValue; exponent: TensorValue } }).p;
    expect(p.base.data.length).toBe(1);
    expect(Math.abs(p.base.data[0]!)).toBe(1);
    expect(Number.isFinite(p.exponent.data[0]!)).toBe(false);
  });

  it('the gradient through the untaken branch of where is NaN', () => {
    const log = run('where(0 >= x, 0, log(x)) gradient');
    expect(violation(log).message).toMatch(/is NaN where the exact derivative is finite: 0/);
    expect(Array.from((log.counterexample as { x: TensorValue }).x.data)).toEqual([0]);
    const softplus = run('where(x >= 20, x, log1p(exp(x))) gradient');
    expect(violation(softplus).message).toMatch(/is NaN where the exact derivative is finite: 1/);
    expect((softplus.counterexample as { x: TensorValue }).x.data[0]).toBeGreaterThan(88.7); // exp(x) overflows there
  });

  it('sign(NaN) is 0, clipByValue(NaN, c, c) is c, erf is Abramowitz-Stegun (2 ulps at x = 1)', () => {
    expect(violation(run('sign special values')).message).toMatch(/is 0 where the exact answer is undefined \(NaN\)/);
    const clip = run('clipByValue lo = hi special values');
    expect(Array.from((clip.counterexample as { x: TensorValue }).x.data)).toEqual([NaN]);
    const erf = run('erf');
    expect(violation(erf).invariant).toBe('matches reference (erf)');
    expect(Array.from((erf.counterexample as { x: TensorValue }).x.data)).toEqual([1]);
  });

  it("Maximum's gradient does not sum over broadcast axes (an error), and tfjs has no gradient for Greater", () => {
    const r = run('maximum(x, row) gradient');
    expect(r.failure).toMatchObject({ kind: 'error', stage: 'gradient' });
    expect(r.failure?.kind === 'error' ? r.failure.message : '').toMatch(/gradient of input 'b' has shape/);
    expect(run('where(x > 0, x, 0) gradient').failure).toMatchObject({ kind: 'error', stage: 'gradient' });
  });
});

describe('planted broken kernels are caught with a minimal input in their zone', () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  interface CpuBackend {
    readSync(id: object): ArrayLike<number>;
    data: { get(id: object): { values: Float32Array } };
  }

  /** Replace a cpu kernel by the real one followed by an in-place edit of its output, given the (broadcast) inputs. */
  function plant(kernelName: string, edit: (inputs: number[], out: number, attrs: Record<string, unknown>) => number): void {
    const original = tf.getKernel(kernelName, 'cpu')!;
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const out = original.kernelFunc(args) as tf.TensorInfo;
        const backend = args.backend as unknown as CpuBackend;
        const infos = Object.values(args.inputs) as tf.TensorInfo[];
        const reads = infos.map((t) => ({ data: backend.readSync(t.dataId), index: broadcastIndex(t.shape, out.shape) }));
        const values = backend.data.get(out.dataId).values;
        for (let i = 0; i < values.length; i++) {
          values[i] = edit(
            reads.map((r) => r.data[r.index[i]!]!),
            values[i]!,
            args.attrs as Record<string, unknown>,
          );
        }
        return out;
      },
    });
    restore = () => {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel(original);
    };
  }

  it('a Sin kernel reducing its argument with a float32 2·pi: found at a large argument', () => {
    const TWO_PI = Math.fround(2 * Math.PI);
    plant('Sin', ([x]) => Math.sin(x! - Math.round(x! / TWO_PI) * TWO_PI));
    const r = run('sin');
    expect(violation(r).invariant).toBe('matches reference (sin)');
    const x = (r.counterexample as { x: TensorValue }).x;
    expect(x.data.length).toBe(1);
    expect(Math.abs(x.data[0]!)).toBeGreaterThan(3); // small arguments are not reduced, so not affected
  });

  it('a Pow kernel computing exp(b·log(a)): pow(0, 0) and pow(negative, integer) are NaN', () => {
    plant('Pow', ([a, b]) => Math.exp(b! * Math.log(a!)));
    const r = run('pow integer exponent');
    expect(violation(r).message).toMatch(/is NaN where the exact answer is finite/);
    const p = (r.counterexample as { p: { base: TensorValue; exponent: TensorValue } }).p;
    expect(p.base.data.length).toBe(1);
    expect(p.base.data[0]).toBeLessThanOrEqual(0); // log(0) = -Infinity, log(negative) = NaN: the defect's zone
    expect(Number.isInteger(p.exponent.data[0])).toBe(true);
  });

  it('a Pow kernel with the IEEE case pow(x, ±0) wrong (NaN for a NaN base, as exp(0·log(NaN)))', () => {
    plant('Pow', ([a, b], out) => (b === 0 && Number.isNaN(a) ? NaN : out));
    // the real kernel already fails this property at pow(±1, NaN or ±Infinity): the planted defect is found in its own zone
    const r = run('pow special values', 5);
    expect(r.status).toBe('failed');
    const p = (r.counterexample as { p: { base: TensorValue; exponent: TensorValue } }).p;
    const zone = (a: number, b: number) => (Number.isNaN(a) && b === 0) || (Math.abs(a) === 1 && !Number.isFinite(b));
    expect(zone(p.base.data[0]!, p.exponent.data[0]!)).toBe(true);
  });

  it('a Maximum kernel that swallows NaN (a > b ? a : b) fails `maximum special values`', () => {
    plant('Maximum', ([a, b]) => (a! > b! ? a! : b!));
    const r = run('maximum special values');
    expect(violation(r).message).toMatch(/where the exact answer is undefined \(NaN\)/);
    const p = (r.counterexample as Pair).p;
    expect([...p.a.data, ...p.b.data].some(Number.isNaN)).toBe(true);
    expect(p.a.data.length + p.b.data.length).toBeLessThanOrEqual(3);
  });

  it('a ClipByValue kernel that swallows NaN fails `clipByValue special values` at x = NaN', () => {
    plant('ClipByValue', ([x], _out, attrs) => {
      const lo = attrs.clipValueMin as number;
      const hi = attrs.clipValueMax as number;
      return x! >= lo ? (x! <= hi ? x! : hi) : lo;
    });
    const r = run('clipByValue special values');
    expect(violation(r).message).toMatch(/where the exact answer is undefined \(NaN\)/);
    expect(Array.from((r.counterexample as { x: TensorValue }).x.data)).toEqual([NaN]);
  });

  it('a Multiply kernel that flushes subnormal results to zero fails `mul` at a subnormal product', () => {
    plant('Multiply', (_in, out) => (Math.abs(out) < 2 ** -126 ? 0 : out));
    const r = run('mul');
    expect(violation(r).invariant).toBe('matches reference (arithmetic)');
    const p = (r.counterexample as Pair).p;
    const product = Math.fround(p.a.data[0]! * p.b.data[0]!);
    expect(product).not.toBe(0);
    expect(Math.abs(product)).toBeLessThan(2 ** -126);
  });

  it('a Select kernel blending c·t + (1 - c)·e leaks NaN and Infinity from the untaken branch', () => {
    plant('Select', ([c, t, e]) => Math.fround(c! * t! + (1 - c!) * e!));
    const r = run('where special values');
    const v = violation(r);
    expect(v.message).toMatch(/is NaN where the exact answer is finite/);
    const p = (r.counterexample as { p: { condition: TensorValue; a: TensorValue; b: TensorValue } }).p;
    expect(p.condition.data.length).toBe(1);
    const untaken = p.condition.data[0] ? p.b.data[0]! : p.a.data[0]!;
    expect(Number.isFinite(untaken)).toBe(false);
  });

  it('a Select gradient masking by arithmetic (dy·(c + 0·e)) leaks NaN into the gradient of the taken branch', () => {
    const original = tf.getGradient('Select')!;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {}); // "Overriding the gradient for 'Select'"
    tf.registerGradient({
      ...original,
      inputsToSave: ['condition', 't', 'e'],
      gradFunc: (dy, saved) => {
        const [condition, t, e] = saved as tf.Tensor[];
        const c = tf.cast(condition!, 'float32');
        return {
          condition: () => tf.zerosLike(c),
          t: () => tf.mul(dy as tf.Tensor, tf.add(c, tf.mul(0, e!))),
          e: () => tf.mul(dy as tf.Tensor, tf.add(tf.sub(1, c), tf.mul(0, t!))),
        };
      },
    });
    restore = () => {
      tf.registerGradient(original);
      warn.mockRestore();
    };
    const r = run('where gradient special values');
    expect(violation(r).message).toMatch(/is NaN where the exact derivative is finite/);
    const p = (r.counterexample as { p: { condition: TensorValue; a: TensorValue; b: TensorValue } }).p;
    expect([...p.a.data, ...p.b.data].some((v) => !Number.isFinite(v))).toBe(true);
    expect(p.condition.data.length).toBe(1);
    restore();
    restore = undefined;
    expect(run('where gradient special values').status).toBe('passed');
  });
});
