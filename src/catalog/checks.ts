/**
 * Mathematical properties the catalog checks beyond finiteness: ranges, sums, bounds, scaling,
 * and the direction of an optimizer step. Each is an Invariant over one run's observation.
 * Non-finite values are left to the value invariant (finite / reference), so these never
 * report the same problem twice.
 */
import { EPSILON, flushesSubnormals, MIN_NORMAL } from '../core/float32.ts';
import { isTensorValue, type TensorValue } from '../core/tensor-value.ts';
import { locate, type Invariant, type Observation, type ReadTensor, type Violation } from '../check/invariant.ts';

const EPS32 = EPSILON;

function outputNamed(obs: Observation, name?: string): ReadTensor {
  const t = name === undefined ? obs.outputs[0] : obs.outputs.find((o) => o.name === name || o.name === `output.${name}`);
  if (!t) throw new Error(`no output named ${name}`);
  return t;
}

function inputNamed(obs: Observation, name: string): TensorValue {
  const v = (obs.inputs as Record<string, unknown>)[name];
  if (isTensorValue(v)) return v;
  // inputs nested one level (tensors() groups)
  for (const group of Object.values(obs.inputs as Record<string, unknown>)) {
    const inner = (group as Record<string, unknown> | null)?.[name];
    if (isTensorValue(inner)) return inner;
  }
  throw new Error(`no input tensor named ${name}`);
}

/** Every finite output element lies in [lo, hi] (with a relative slack of a few ULPs). */
export function inRange(lo: number, hi: number, output?: string): Invariant {
  const name = `in [${lo}, ${hi}]`;
  return {
    name,
    check(obs) {
      const t = outputNamed(obs, output);
      const slack = (v: number) => 4 * EPS32 * Math.max(1, Math.abs(v));
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i]!;
        if (Number.isFinite(v) && (v < lo - slack(lo) || v > hi + slack(hi))) {
          return { invariant: name, message: `${t.name} element ${i} is ${v}, outside [${lo}, ${hi}]`, location: locate('output', t, i) };
        }
      }
      return undefined;
    },
  };
}

/** Rows (along the last axis) of the output sum to 1 within n·eps. */
export function rowsSumToOne(): Invariant {
  const name = 'rows sum to 1';
  return {
    name,
    check(obs) {
      const t = outputNamed(obs);
      const n = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
      for (let r = 0; r * n < t.data.length; r++) {
        let s = 0;
        let finiteRow = true;
        for (let j = 0; j < n; j++) {
          const v = t.data[r * n + j]!;
          if (!Number.isFinite(v)) finiteRow = false;
          s += v;
        }
        if (finiteRow && Math.abs(s - 1) > (n + 2) * EPS32) {
          return { invariant: name, message: `row ${r} sums to ${s}`, location: locate('output', t, r * n), details: { sum: s } };
        }
      }
      return undefined;
    },
  };
}

/** An output is >= (or <=) a function of the inputs, element by element (a bound like logSumExp >= max). */
export function bound(name: string, relation: '>=' | '<=', boundOf: (obs: Observation) => ArrayLike<number>, output?: string): Invariant {
  return {
    name,
    check(obs) {
      const t = outputNamed(obs, output);
      const b = boundOf(obs);
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i]!;
        const w = b[i]!;
        if (!Number.isFinite(v) || !Number.isFinite(w)) continue;
        const slack = 4 * EPS32 * Math.max(Math.abs(w), Number.MIN_VALUE);
        if (relation === '>=' ? v < w - slack : v > w + slack) {
          return { invariant: name, message: `${t.name} element ${i} is ${v}, not ${relation} ${w}`, location: locate('output', t, i, w) };
        }
      }
      return undefined;
    },
  };
}

/** Maximum of an input tensor along its last axis, per row. */
export function rowMax(input: string): (obs: Observation) => number[] {
  return (obs) => {
    const x = inputNamed(obs, input);
    const n = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1]!;
    const out: number[] = [];
    for (let r = 0; r * n < x.data.length; r++) out.push(Math.max(...Array.from(x.data.subarray(r * n, r * n + n))));
    return out;
  };
}

/** The output named `scaled` equals `factor` times the output named `base` (within a relative tolerance). */
export function scalesLinearly(base: string, scaled: string, factor: number, rtol = 8 * EPS32): Invariant {
  const name = `scales linearly (f(${factor}x) = ${factor}f(x))`;
  return {
    name,
    check(obs) {
      const a = outputNamed(obs, base);
      const b = outputNamed(obs, scaled);
      for (let i = 0; i < a.data.length; i++) {
        const want = factor * a.data[i]!;
        const got = b.data[i]!;
        if (!Number.isFinite(want) || !Number.isFinite(got)) continue;
        if (Math.abs(got - want) > rtol * Math.abs(want)) {
          return { invariant: name, message: `${b.name} is ${got} but ${factor} × ${a.name} is ${want}`, location: locate('output', b, i, want) };
        }
      }
      return undefined;
    },
  };
}

/** The output equals an input tensor exactly (an optimizer step with zero gradient). */
export function equalsInput(input: string): Invariant {
  const name = `unchanged (equals ${input})`;
  return {
    name,
    check(obs) {
      const t = outputNamed(obs);
      const x = inputNamed(obs, input);
      for (let i = 0; i < t.data.length; i++) {
        if (!Object.is(t.data[i], x.data[i]) && !(t.data[i] === 0 && x.data[i] === 0)) {
          return { invariant: name, message: `${t.name} element ${i} changed from ${x.data[i]} to ${t.data[i]}`, location: locate('output', t, i, x.data[i]) };
        }
      }
      return undefined;
    },
  };
}

/**
 * After one step, every parameter moved against its gradient or stayed: (new - old) * g <= 0. On
 * a backend that flushes subnormals (TensorFlow's kernels read them as 0 and flush subnormal
 * results: its convention), a subnormal parameter or gradient read as 0, or a result flushed to
 * 0, is not a move.
 */
export function movesAgainstGradient(params: string, grads: string): Invariant {
  const name = 'moves against the gradient';
  return {
    name,
    check(obs): Violation | undefined {
      const t = outputNamed(obs);
      const p = inputNamed(obs, params);
      const g = inputNamed(obs, grads);
      const flushing = flushesSubnormals(obs.backend);
      const flushed = (v: number) => (flushing && v !== 0 && Math.abs(v) < MIN_NORMAL ? 0 : v);
      for (let i = 0; i < t.data.length; i++) {
        // as the kernel read them (and as it may write its result)
        const delta = flushed(t.data[i]!) - flushed(p.data[i]!);
        if (Number.isFinite(delta) && delta * flushed(g.data[i]!) > 0) {
          return {
            invariant: name,
            message: `parameter ${i} moved from ${p.data[i]} to ${t.data[i]} along its gradient ${g.data[i]}`,
            location: locate('output', t, i),
          };
        }
      }
      return undefined;
    },
  };
}
