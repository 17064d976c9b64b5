/**
 * A property: a subject (a function of generated inputs returning tensors), the generators of
 * its inputs, and the invariants every run must satisfy.
 */
import * as fc from 'fast-check';
import type { Invariant } from '../check/invariant.ts';
import { finite } from '../check/finite.ts';
import type { Subject } from '../run/execute.ts';
import type { ReferenceResult } from '../check/accuracy.ts';
import type { OpTolerance, Tolerance } from '../reference/tolerances.ts';
import type { Derivative } from '../reference/derivatives.ts';
import type { BatchKind } from './batch.ts';

/** The exact answer of a property's outputs (and gradients) and the tolerance it is judged with (per backend). */
export interface PropertyReference<I> {
  /** Exact values of every output, in order, from the generated inputs (src/reference's functions). */
  readonly exact?: (inputs: I) => ReferenceResult;
  /** How far from the correctly rounded answer an element may be (a row of src/reference/tolerances.ts, or a plain Tolerance). */
  readonly tolerance: OpTolerance | Tolerance;
  /** Exact derivative of the summed outputs, by input path, and its tolerance: judges the gradients. */
  readonly gradients?: { readonly derivative: (inputs: I) => Derivative; readonly tolerance: OpTolerance | Tolerance };
}

export type InputArbitraries<I> = { [K in keyof I]: fc.Arbitrary<I[K]> };

export interface PropertyDefinition<I> {
  /** Unique, human-readable name; `--filter` matches it. */
  name: string;
  /** What the property promises, one sentence (shown in reports and the catalog). */
  description?: string;
  /** Generators of the inputs: a record of arbitraries (the subject receives a record) or one arbitrary. */
  inputs: InputArbitraries<I> | fc.Arbitrary<I>;
  /** The code under test. TensorValues in the inputs arrive as tf.Tensors. Runs inside tf.tidy. */
  subject: Subject<I>;
  /** What must hold for every run. Default: [finite()]. */
  invariants?: readonly Invariant[];
  /** Compute gradients of sum(outputs) w.r.t. every float32 input tensor (also on when an invariant needs them). */
  gradients?: boolean;
  /** Runs for this property when the caller does not say (default 100). */
  runs?: number;
  /** A shipped example of a bug: its failure is expected and does not fail a check. Give the reason. */
  expectFailure?: string;
  /** Source text of the subject for standalone repro scripts (defaults to subject.toString()). */
  source?: string;
  /** Free-form tags (op family, loss, optimizer, ...). */
  tags?: readonly string[];
  /**
   * The exact answer of the outputs, for those who judge outputs without the property's own
   * invariants: `nanhunt diff` says which backend is right with it. (To check outputs against it,
   * give an invariant: matchesReference(reference.exact, reference.tolerance).)
   */
  reference?: PropertyReference<I>;
  /**
   * What backends must agree on where nothing exact judges them (`nanhunt diff`): 'values' (within the
   * diff's ULP tolerance, the default) or 'finiteness' (outputs that amplify rounding, like a training run).
   */
  agreement?: 'values' | 'finiteness';
  /**
   * The subject is batch-polymorphic (./batch.ts): generated cases may be screened many in one
   * call, stacked on a new leading axis (`rows`) or flattened and concatenated (`elementwise`).
   * Verdicts, counterexamples, paths and error samples are those of a run case by case.
   */
  batch?: BatchKind;
}

export interface Property<I = unknown> {
  readonly kind: 'nanhunt.property';
  readonly name: string;
  readonly description: string;
  readonly arbitrary: fc.Arbitrary<I>;
  readonly subject: Subject<I>;
  readonly invariants: readonly Invariant[];
  readonly gradients: boolean;
  readonly runs: number | undefined;
  readonly expectFailure: string | undefined;
  readonly source: string;
  readonly tags: readonly string[];
  readonly reference: PropertyReference<I> | undefined;
  readonly agreement: 'values' | 'finiteness';
  readonly batch: BatchKind | undefined;
}

/** Define a property. Validates the definition and fills defaults. */
export function property<I>(definition: PropertyDefinition<I>): Property<I> {
  const d = definition;
  if (typeof d !== 'object' || d === null) throw new TypeError('property: expected a definition object');
  if (typeof d.name !== 'string' || d.name.trim() === '') throw new TypeError('property: `name` must be a non-empty string');
  if (typeof d.subject !== 'function') throw new TypeError(`property '${d.name}': \`subject\` must be a function`);
  if (d.runs !== undefined && (!Number.isInteger(d.runs) || d.runs < 1)) {
    throw new RangeError(`property '${d.name}': \`runs\` must be a positive integer, got ${d.runs}`);
  }
  let arbitrary: fc.Arbitrary<I>;
  if (d.inputs instanceof fc.Arbitrary) arbitrary = d.inputs;
  else if (typeof d.inputs === 'object' && d.inputs !== null) {
    for (const [k, a] of Object.entries(d.inputs)) {
      if (!(a instanceof fc.Arbitrary)) throw new TypeError(`property '${d.name}': input '${k}' is not a fast-check Arbitrary`);
    }
    arbitrary = fc.record(d.inputs as Record<string, fc.Arbitrary<unknown>>) as unknown as fc.Arbitrary<I>;
  } else throw new TypeError(`property '${d.name}': \`inputs\` must be an Arbitrary or a record of Arbitraries`);
  const invariants = d.invariants ?? [finite()];
  if (!Array.isArray(invariants) || invariants.length === 0 || invariants.some((i) => typeof i?.check !== 'function')) {
    throw new TypeError(`property '${d.name}': \`invariants\` must be a non-empty array of invariants`);
  }
  return Object.freeze({
    kind: 'nanhunt.property' as const,
    name: d.name,
    description: d.description ?? '',
    arbitrary,
    subject: d.subject,
    invariants,
    gradients: (d.gradients ?? false) || invariants.some((i) => i.needsGradients),
    runs: d.runs,
    expectFailure: d.expectFailure,
    source: d.source ?? d.subject.toString(),
    tags: d.tags ?? [],
    reference: d.reference,
    agreement: d.agreement ?? 'values',
    batch: d.batch,
  });
}

export function isProperty(x: unknown): x is Property {
  return typeof x === 'object' && x !== null && (x as Property).kind === 'nanhunt.property';
}
