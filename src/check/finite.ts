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
}

function kindName(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity';
}

function firstBad(tensors: readonly ReadTensor[], kind: 'output' | 'gradient', bad: (v: number) => boolean, name: string): Violation | undefined {
  for (const t of tensors) {
    if (t.dtype !== 'float32') continue;
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      if (bad(data[i]!)) {
        let count = 0;
        for (let j = i; j < data.length; j++) if (bad(data[j]!)) count++;
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

function make(name: string, bad: (v: number) => boolean, options: FiniteOptions, nanOnly: boolean): Invariant {
  return {
    name,
    needsGradients: options.gradients ?? false,
    standalone: (obs) => ({ kind: 'finite', outputs: options.outputs ?? true, gradients: obs.gradients.length > 0, nanOnly }),
    check(obs: Observation) {
      if (options.outputs ?? true) {
        const v = firstBad(obs.outputs, 'output', bad, name);
        if (v) return v;
      }
      return firstBad(obs.gradients, 'gradient', bad, name);
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
