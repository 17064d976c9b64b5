/**
 * Finiteness invariants: `finite()` (no NaN, no ±Infinity) and `noNaN()`.
 *
 * They look at every output and at every gradient the run computed. With `{ gradients: true }`
 * they also ask the runner to compute gradients of the summed outputs.
 */
import { locate, type Invariant, type Observation, type ReadTensor, type Violation } from './invariant.ts';

export interface FiniteOptions {
  /** Compute and check gradients too (default: check them only if the property computes them). */
  gradients?: boolean;
  /** Skip outputs (check gradients only). Default true. */
  outputs?: boolean;
  /**
   * Accept ±Infinity where the exact result is out of float32's range too, so Infinity is the
   * correctly rounded answer (exp(100), a sum whose exact value exceeds 3.4e38, log(0)): the
   * input is the problem, not the code. The exact value comes from re-running the case's kernels
   * in exact arithmetic (docs/writing-properties.md); NaN, and an element whose exact value is
   * unknown, stay findings. Default false.
   */
  unlessInherent?: boolean;
}

function kindName(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity';
}

type Accept = (t: ReadTensor, i: number) => boolean;

function firstBad(
  tensors: readonly ReadTensor[],
  kind: 'output' | 'gradient',
  bad: (v: number) => boolean,
  name: string,
  accept?: Accept,
): Violation | undefined {
  for (const t of tensors) {
    if (t.dtype !== 'float32') continue;
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (bad(data[i]!) && !accept?.(t, i)) {
        let count = 0;
        for (let j = i; j < data.length; j++) if (bad(data[j]!) && !accept?.(t, j)) count++;
        const where = t.data.length === 1 ? t.name : `${t.name}[${locate(kind, t, i).coords.join(', ')}]`;
        const more = count > 1 ? ` (${count} of ${data.length} elements are non-finite)` : '';
        return {
          invariant: name,
          message: `${where} is ${kindName(data[i]!)}${more}`,
          location: locate(kind, t, i),
          details: { nonFinite: count, size: data.length },
        };
      }
    }
  }
  return undefined;
}

/** ±Infinity that is the correct rounding of the exact result (by the observation's exact re-run). */
function inherent(obs: Observation): Accept {
  return (t, i) => {
    const v = t.data[i]!;
    if (Number.isNaN(v) || !obs.exactValue) return false;
    const exact = obs.exactValue(t, i);
    return exact?.settled === true && Math.fround(exact.value) === v;
  };
}

function make(name: string, bad: (v: number) => boolean, options: FiniteOptions, nanOnly: boolean): Invariant {
  return {
    name,
    needsGradients: options.gradients ?? false,
    // a repro script cannot re-run the kernels exactly: with unlessInherent it judges the violation's element as nanhunt did
    standalone: (obs) =>
      options.unlessInherent ? undefined : { kind: 'finite', outputs: options.outputs ?? true, gradients: obs.gradients.length > 0, nanOnly },
    check(obs: Observation) {
      const accept = options.unlessInherent ? inherent(obs) : undefined;
      if (options.outputs ?? true) {
        const v = firstBad(obs.outputs, 'output', bad, name, accept);
        if (v) return v;
      }
      return firstBad(obs.gradients, 'gradient', bad, name, accept);
    },
  };
}

/** Every output (and gradient) element is finite: no NaN, no ±Infinity. */
export function finite(options: FiniteOptions = {}): Invariant {
  return make('finite', (v) => !Number.isFinite(v), options, false);
}

/** No output (or gradient) element is NaN; ±Infinity is allowed. */
export function noNaN(options: FiniteOptions = {}): Invariant {
  return make('noNaN', Number.isNaN, options, true);
}
