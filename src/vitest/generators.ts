/**
 * Generators as the vitest helpers take them — a tuple of arbitraries (the subject gets one
 * argument per generator) or a record of arbitraries (the subject gets one record) — and the
 * nanhunt Property built from them.
 */
import * as fc from 'fast-check';
import { property, type Property } from '../property/property.ts';
import type { Invariant } from '../check/invariant.ts';
import type { Materialized, SubjectOutput } from '../run/execute.ts';

/** A tuple of generators (`[tensor(), learningRates()]`) or a record of them (`{ x: tensor() }`). */
export type Generators = readonly fc.Arbitrary<unknown>[] | { readonly [name: string]: fc.Arbitrary<unknown> };

type ValueOf<A> = A extends fc.Arbitrary<infer V> ? V : never;

/** What a subject receives for the given generators: TensorValues become tf.Tensors. */
export type SubjectArgs<G extends Generators> = G extends readonly fc.Arbitrary<unknown>[]
  ? { -readonly [K in keyof G]: Materialized<ValueOf<G[K]>> }
  : [{ -readonly [K in keyof G]: Materialized<ValueOf<G[K]>> }];

/** The function under test for the given generators. Synchronous; runs inside tf.tidy. */
export type SubjectFor<G extends Generators> = (...args: SubjectArgs<G>) => SubjectOutput;

function checkGenerators(where: string, inputs: unknown): void {
  if (Array.isArray(inputs)) {
    if (inputs.length === 0) throw new TypeError(`${where}: give at least one generator`);
    inputs.forEach((a, i) => {
      if (!(a instanceof fc.Arbitrary)) throw new TypeError(`${where}: generator [${i}] is not a fast-check Arbitrary`);
    });
    return;
  }
  if (typeof inputs !== 'object' || inputs === null || inputs instanceof fc.Arbitrary) {
    throw new TypeError(`${where}: generators must be an array of arbitraries ([tensor()]) or a record of them ({ x: tensor() })`);
  }
}

export interface PropertyParts<G extends Generators> {
  name: string;
  inputs: G;
  subject: SubjectFor<G>;
  invariants?: readonly Invariant[] | undefined;
  gradients?: boolean | undefined;
}

/** A nanhunt Property over the generators: a tuple becomes fc.tuple, a record fc.record. */
export function toProperty<G extends Generators>(where: string, parts: PropertyParts<G>): Property<unknown> {
  checkGenerators(where, parts.inputs);
  if (typeof parts.subject !== 'function') throw new TypeError(`${where}: the subject must be a function`);
  const fn = parts.subject as unknown as (...args: unknown[]) => SubjectOutput;
  const isTuple = Array.isArray(parts.inputs);
  const arbitrary = isTuple
    ? fc.tuple(...(parts.inputs as readonly fc.Arbitrary<unknown>[]))
    : fc.record(parts.inputs as Record<string, fc.Arbitrary<unknown>>);
  return property<unknown>({
    name: parts.name,
    inputs: arbitrary as fc.Arbitrary<unknown>,
    subject: isTuple ? (args) => fn(...(args as unknown[])) : (record) => fn(record),
    source: parts.subject.toString(),
    ...(parts.invariants ? { invariants: parts.invariants } : {}),
    ...(parts.gradients !== undefined ? { gradients: parts.gradients } : {}),
  });
}
