/**
 * Replaying a saved failure: run the property once on the saved inputs, with kernel recording,
 * and describe how the environment differs from the one the failure was recorded in.
 */
import * as tf from '@tensorflow/tfjs';
import type { Property } from '../property/property.ts';
import { checkOnce, type PropertyResult } from '../property/runner.ts';
import { recordKernels } from '../explain/provenance.ts';
import { activeBackend } from '../run/backend.ts';
import { VERSION } from '../core/version.ts';
import type { SavedFailure } from './database.ts';

/**
 * Run `property` once on the saved case. The result has the shape of runProperty's (1 run, no
 * shrinks, the saved seed and path) so failureReport prints it; `passed` means the case is fixed.
 */
export function replayFailure<I>(property: Property<I>, saved: Pick<SavedFailure, 'inputs' | 'record'>): PropertyResult {
  const started = performance.now();
  const { result, provenance } = recordKernels(() => checkOnce(property, saved.inputs as I));
  const failure = result.failure;
  const base = {
    name: property.name,
    backend: String(activeBackend()),
    runs: 1,
    seed: saved.record.seed,
    ...(saved.record.path ? { path: saved.record.path } : {}),
    shrinks: 0,
    interrupted: false,
    counterexample: saved.inputs,
  };
  if (!failure) return { ...base, status: 'passed', expectedFailure: false, durationMs: performance.now() - started };
  const isError = failure.kind === 'error';
  return {
    ...base,
    status: isError ? 'errored' : 'failed',
    expectedFailure: !isError && property.expectFailure !== undefined,
    durationMs: performance.now() - started,
    failure,
    provenance,
  };
}

/** Lines saying how this run differs from the recorded one (backend, tfjs, nanhunt); empty when it does not. */
export function environmentNotes(saved: Pick<SavedFailure, 'record'>, backend: string = String(activeBackend())): string[] {
  const env = saved.record.environment;
  const notes: string[] = [];
  if (env.backend !== backend) notes.push(`recorded on backend ${env.backend}, replaying on ${backend}`);
  if (env.tfjs && env.tfjs !== tf.version.tfjs) notes.push(`recorded with tfjs ${env.tfjs}, this is tfjs ${tf.version.tfjs}`);
  if (env.nanhunt && env.nanhunt !== VERSION) notes.push(`recorded with nanhunt ${env.nanhunt}, this is nanhunt ${VERSION}`);
  return notes;
}
