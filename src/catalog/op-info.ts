/**
 * OpInfo: one declarative entry per op, loss or optimizer step, expanded into properties.
 *
 * Modelled on PyTorch's OpInfo: an entry names the op, the generators of its inputs on the
 * domain where it promises an answer, what it promises (finite output, an exact reference within
 * a tolerance, mathematical properties), and whether and where its gradient is checked. Adding an
 * op to the catalog is adding an entry, not writing a test.
 *
 * Each entry becomes up to two properties:
 *  - `<name>`: the forward value — finite (or matching the exact reference, where Infinity that
 *    is the correctly rounded answer is not a finding) plus the entry's extra invariants;
 *  - `<name> gradient`: gradients of the summed outputs are finite on the gradient domain.
 */
import type * as fc from 'fast-check';
import type { Invariant } from '../check/invariant.ts';
import { finite } from '../check/finite.ts';
import type { Subject } from '../run/execute.ts';
import { property, type InputArbitraries, type Property } from '../property/property.ts';

export const FAMILIES = ['unary', 'binary', 'activation', 'reduction', 'linalg', 'layer', 'loss', 'optimizer'] as const;
export type Family = (typeof FAMILIES)[number];

export interface OpInfo<I = any> {
  /** Unique name, e.g. `exp`, `losses.logLoss`, `train.adam 3 steps eps=1e-3`. */
  readonly name: string;
  readonly family: Family;
  /** What the entry promises, one sentence (goes to the README table and reports). */
  readonly promise: string;
  /** Generators of the inputs on the domain where the promise holds. */
  readonly inputs: InputArbitraries<I>;
  /** The op under test. */
  readonly op: Subject<I>;
  /**
   * Standalone source of `op` for repro scripts, referencing only `tf` (default `op.toString()`).
   * Give it when `op` is a closure over other variables.
   */
  readonly source?: string;
  /**
   * The value invariant. Default `finite()`. An exact-reference invariant goes here; it must
   * treat a correctly rounded Infinity as exact.
   */
  readonly value?: Invariant;
  /** Mathematical properties beyond the value check (ranges, sums, monotonicity...). */
  readonly checks?: readonly Invariant[];
  /**
   * Check gradients: `true` on the same inputs, or inputs for the gradient's own domain, and
   * optionally the gradient invariant (default: gradients finite; e.g. `gradientMatches` against
   * the exact derivative).
   */
  readonly gradient?: boolean | { readonly inputs: InputArbitraries<I>; readonly promise?: string; readonly value?: Invariant };
  /** Runs per property (default {@link CATALOG_RUNS}). */
  readonly runs?: number;
}

/**
 * Default runs of a catalog property. Several findings need a few hundred cases to appear
 * (sums that overflow need many same-magnitude elements); the whole catalog still runs in
 * well under a minute on the cpu backend.
 */
export const CATALOG_RUNS = 1000;

/**
 * Source text of a call of `f` on the given argument list, for repro scripts: `tf.exp` when `f` is
 * the tfjs op of that name, else `f`'s own text (which must reference only `tf`).
 */
export function callSource(f: (...args: never[]) => unknown, tfName: string | undefined, params: string, args: string): string {
  const fn = tfName !== undefined ? `tf.${tfName}` : `(${f.toString()})`;
  return `(${params}) => ${fn}(${args})`;
}

/** Identity helper that infers the input type of an entry. */
export function opInfo<I>(info: OpInfo<I>): OpInfo<I> {
  return info;
}

/** The properties of one entry. */
export function entryProperties(info: OpInfo): Property[] {
  const out: Property[] = [
    property({
      name: info.name,
      description: info.promise,
      inputs: info.inputs,
      subject: info.op,
      ...(info.source ? { source: info.source } : {}),
      invariants: [info.value ?? finite(), ...(info.checks ?? [])],
      runs: info.runs ?? CATALOG_RUNS,
      tags: [info.family],
    }),
  ];
  if (info.gradient) {
    const g: { inputs: InputArbitraries<unknown>; promise?: string; value?: Invariant } = info.gradient === true ? { inputs: info.inputs } : info.gradient;
    out.push(
      property({
        name: `${info.name} gradient`,
        description: g.promise ?? `gradients of ${info.name} are finite on its domain`,
        inputs: g.inputs as InputArbitraries<unknown> | fc.Arbitrary<unknown>,
        subject: info.op as Subject<unknown>,
        ...(info.source ? { source: info.source } : {}),
        invariants: [g.value ?? finite({ gradients: true, outputs: false })],
        runs: info.runs ?? CATALOG_RUNS,
        tags: [info.family, 'gradient'],
      }),
    );
  }
  return out;
}

/** Expand a table of entries into properties, checking names are unique. */
export function catalogProperties(table: readonly OpInfo[]): Property[] {
  const names = new Set<string>();
  for (const e of table) {
    if (names.has(e.name)) throw new Error(`catalog: duplicate entry '${e.name}'`);
    names.add(e.name);
  }
  return table.flatMap(entryProperties);
}
