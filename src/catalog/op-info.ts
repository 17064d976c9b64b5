/**
 * OpInfo: one declarative entry per op, loss or optimizer step, expanded into properties.
 *
 * Modelled on PyTorch's OpInfo: an entry names the op, the generators of its inputs, what it
 * promises, and carries the facts the checks need as typed fields — its exact reference and the
 * tolerance it is judged with (per backend), its exact derivative, its standalone source. Nothing
 * is looked up by name. Adding an op to the catalog is adding an entry, not writing a test; the
 * catalog itself is data (nanhunt's is `properties/index.ts`), and this module never imports it.
 *
 * Each entry becomes up to five properties:
 *  - `<name>`: the forward value — judged against the exact reference within the tolerance when
 *    the entry has one (so Infinity that is the correctly rounded answer is not a finding), else
 *    by `value` (default: finite) — plus the entry's extra checks;
 *  - `<name> special values`: the same reference on inputs mixing ±Infinity, NaN, ±0 and
 *    subnormals (`special`), i.e. the IEEE 754 / C99 semantics of the exact function;
 *  - `<name> large`: the same reference on long structured inputs (`large`), where accumulation
 *    error shows;
 *  - `<name> gradient` (and `<name> gradient special values`): the gradients of the summed outputs,
 *    against the exact derivative when the entry has one, else finite.
 */
import type * as fc from 'fast-check';
import type * as tf from '@tensorflow/tfjs';
import type { Invariant } from '../check/invariant.ts';
import { finite } from '../check/finite.ts';
import { matchesReference, type ReferenceResult } from '../check/accuracy.ts';
import { TOLERANCES } from '../reference/tolerances.ts';
import { gradientMatches } from '../check/gradient.ts';
import type { Derivative } from '../reference/derivatives.ts';
import type { OpTolerance } from '../reference/tolerances.ts';
import type { Subject } from '../run/execute.ts';
import { property, type InputArbitraries, type Property, type PropertyReference } from '../property/property.ts';
import type { BatchKind } from '../property/batch.ts';

export const FAMILIES = ['unary', 'binary', 'activation', 'reduction', 'linalg', 'layer', 'loss', 'optimizer', 'shape'] as const;
export type Family = (typeof FAMILIES)[number];

/** The exact answer of an entry's outputs and the tolerance (per backend) it is judged with. */
export interface OpReference<I> {
  /** Exact values of every output, from the generated inputs (src/reference's functions). */
  readonly exact: (inputs: I) => ReferenceResult;
  /** How far from the correctly rounded answer an element may be, per backend (src/reference/tolerances.ts). */
  readonly tolerance: OpTolerance;
}

/** How an entry's gradient is checked. */
export interface GradientInfo<I> {
  /** Inputs for the gradient's own domain (default: the entry's inputs). */
  readonly inputs?: InputArbitraries<I>;
  /** What the gradient promises, one sentence. */
  readonly promise?: string;
  /** Exact derivative of the summed outputs, keyed by input path (`x`, `p.base`): checked with gradientMatches. */
  readonly derivative?: (inputs: I) => Derivative;
  /** The inputs the derivative is taken with respect to, for the invariant's name (`d/d(a, b)`; default `d/dx`). */
  readonly wrt?: string;
  /** Tolerance of the derivative check (default: the table's `gradient` row). */
  readonly tolerance?: OpTolerance;
  /** Inputs with special values for `<name> gradient special values` (needs `derivative`). */
  readonly special?: InputArbitraries<I>;
  /** Runs of the gradient properties (default: the entry's runs); tf.grads is the costly part of a catalog run. */
  readonly runs?: number;
}

export interface OpInfo<I = any> {
  /** Unique name, e.g. `exp`, `losses.logLoss`, `train.adam 3 steps eps=user`. */
  readonly name: string;
  readonly family: Family;
  /** What the entry promises, one sentence (goes to the catalog table and reports). */
  readonly promise: string;
  /** Generators of the inputs. */
  readonly inputs: InputArbitraries<I>;
  /** The op under test. */
  readonly op: Subject<I>;
  /**
   * Standalone source of `op` for repro scripts, referencing only `tf` (default `op.toString()`).
   * Give it when `op` is a closure over other variables ({@link tfCall} builds it for tfjs ops).
   */
  readonly source?: string;
  /** The exact answer: the value is judged against it on every input. */
  readonly reference?: OpReference<I>;
  /** The value invariant of an entry without a reference (default `finite()`). */
  readonly value?: Invariant;
  /** Mathematical properties beyond the value check (ranges, sums, monotonicity...). */
  readonly checks?: readonly Invariant[];
  /**
   * Inputs mixing ±Infinity, NaN, ±0 and subnormals with ordinary values (see specialValues()):
   * the `<name> special values` property judges them with the entry's reference (needs `reference`).
   */
  readonly special?: InputArbitraries<I>;
  /** Long structured inputs (see structured()) for `<name> large`, judged with the reference (needs `reference`). */
  readonly large?: { readonly inputs: InputArbitraries<I>; readonly runs?: number };
  /** Check gradients: `true` (finite, on the same inputs), or how. */
  readonly gradient?: boolean | GradientInfo<I>;
  /** Runs per property (default {@link CATALOG_RUNS}). */
  readonly runs?: number;
  /**
   * The op is batch-polymorphic (src/property/batch.ts): its properties screen many generated
   * cases in one call — `elementwise` (flattened, any shapes) or `rows` (stacked on a new leading axis).
   */
  readonly batch?: BatchKind;
}

/** Default runs of a `<name> large` property (each run may hold a million elements). */
export const LARGE_RUNS = 30;

/**
 * Default runs of a catalog property. Several findings need a few hundred cases to appear
 * (sums that overflow need many same-magnitude elements); what the whole catalog costs is
 * measured in docs/catalog.md.
 */
export const CATALOG_RUNS = 1000;

/** Names of tfjs's top-level functions. */
export type TfFunctionName = { [K in keyof typeof tf]: (typeof tf)[K] extends (...args: never[]) => unknown ? K : never }[keyof typeof tf];

/** Names of tfjs's functions of one tensor that return a tensor (`exp`, `sigmoid`, ...). */
export type TfUnaryName = { [K in TfFunctionName]: (typeof tf)[K] extends (x: tf.Tensor) => tf.Tensor ? K : never }[TfFunctionName];

/**
 * Source text of a call for repro scripts: `({ x }) => tf.exp(x)` for a tfjs function named by
 * `op`, or `({ x }) => (<f's own text>)(x)` for a function (whose text must reference only `tf`).
 */
export function tfCall(op: TfFunctionName | ((...args: never[]) => unknown), params: string, args: string): string {
  const fn = typeof op === 'string' ? `tf.${op}` : `(${op.toString()})`;
  return `(${params}) => ${fn}(${args})`;
}

/** Identity helper that infers the input type of an entry. */
export function opInfo<I>(info: OpInfo<I>): OpInfo<I> {
  return info;
}

/** What an entry's gradient promises (undefined when its gradient is not checked or promises only finiteness without saying so). */
export function gradientPromise(info: OpInfo): string | undefined {
  if (!info.gradient) return undefined;
  const g: GradientInfo<unknown> = info.gradient === true ? {} : info.gradient;
  return g.promise ?? (g.derivative ? `the gradient matches the exact derivative of ${info.name}` : undefined);
}

/** The value invariant of an entry: its reference within tolerance, its own, or finite. */
function valueInvariant<I>(info: OpInfo<I>): Invariant {
  if (info.reference) return matchesReference(info.reference.exact, info.reference.tolerance);
  return info.value ?? finite();
}

/** The properties of one entry. */
export function entryProperties<I>(info: OpInfo<I>): Property<I>[] {
  const source = info.source !== undefined ? { source: info.source } : {};
  const runs = info.runs ?? CATALOG_RUNS;
  const reference = info.reference ? { reference: info.reference } : {};
  const batch = info.batch ? { batch: info.batch } : {};
  const needsReference = (what: string): OpReference<I> => {
    if (!info.reference) throw new TypeError(`catalog entry '${info.name}': \`${what}\` needs a \`reference\` to judge its results`);
    return info.reference;
  };
  const out: Property<I>[] = [
    property<I>({
      name: info.name,
      description: info.promise,
      inputs: info.inputs,
      subject: info.op,
      ...source,
      ...batch,
      ...reference,
      invariants: [valueInvariant(info), ...(info.checks ?? [])],
      runs,
      tags: [info.family],
    }),
  ];
  if (info.special) {
    const r = needsReference('special');
    out.push(
      property<I>({
        name: `${info.name} special values`,
        description: `on inputs mixing ±Infinity, NaN, ±0 and subnormals: the IEEE 754 result of the exact function`,
        inputs: info.special,
        subject: info.op,
        ...source,
        ...batch,
        ...reference,
        invariants: [matchesReference(r.exact, r.tolerance)],
        runs,
        tags: [info.family, 'special'],
      }),
    );
  }
  if (info.large) {
    const r = needsReference('large');
    out.push(
      property<I>({
        name: `${info.name} large`,
        description: `on long structured inputs (constant fills, ramps, alternating signs): within the error bound of a good float32 evaluation`,
        inputs: info.large.inputs,
        subject: info.op,
        ...source,
        ...batch,
        ...reference,
        invariants: [matchesReference(r.exact, r.tolerance)],
        runs: info.large.runs ?? LARGE_RUNS,
        tags: [info.family, 'large'],
      }),
    );
  }
  if (info.gradient) {
    const g: GradientInfo<I> = info.gradient === true ? {} : info.gradient;
    const check = (): Invariant =>
      g.derivative
        ? gradientMatches<I>({
            derivative: g.derivative,
            name: `gradient matches ${g.wrt ? `d/d(${g.wrt})` : 'd/dx'} ${info.name}`,
            ...(g.tolerance ? { tolerance: g.tolerance } : {}),
          })
        : finite({ gradients: true, outputs: false });
    // diff judges the outputs with the value reference and the gradients with the derivative
    const gradientReference: PropertyReference<I> | undefined =
      info.reference || g.derivative
        ? {
            ...(info.reference ? { exact: info.reference.exact } : {}),
            tolerance: info.reference?.tolerance ?? TOLERANCES.gradient,
            ...(g.derivative ? { gradients: { derivative: g.derivative, tolerance: g.tolerance ?? TOLERANCES.gradient } } : {}),
          }
        : undefined;
    const withGradientReference = gradientReference ? { reference: gradientReference } : {};
    out.push(
      property<I>({
        name: `${info.name} gradient`,
        description: gradientPromise(info) ?? `gradients of ${info.name} are finite on its domain`,
        inputs: (g.inputs ?? info.inputs) as InputArbitraries<I> | fc.Arbitrary<I>,
        subject: info.op,
        ...source,
        ...batch,
        ...withGradientReference,
        invariants: [check()],
        runs: g.runs ?? runs,
        tags: [info.family, 'gradient'],
      }),
    );
    if (g.special) {
      if (!g.derivative) throw new TypeError(`catalog entry '${info.name}': \`gradient.special\` needs a \`gradient.derivative\``);
      out.push(
        property<I>({
          name: `${info.name} gradient special values`,
          description: `the gradient at special and boundary points matches the exact derivative (or the subgradient a framework returns) where it is defined`,
          inputs: g.special,
          subject: info.op,
          ...source,
          ...batch,
          ...withGradientReference,
          invariants: [check()],
          runs: g.runs ?? runs,
          tags: [info.family, 'gradient', 'special'],
        }),
      );
    }
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
  return table.flatMap((e) => entryProperties(e) as Property[]);
}
