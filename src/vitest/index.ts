/**
 * nanhunt/vitest — property tests and numerical matchers for vitest.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { expect } from 'vitest';
 * import { finite, logits, tensor } from 'nanhunt';
 * import { numProp } from 'nanhunt/vitest';
 *
 * numProp('softmax stays finite', [tensor({ elements: logits() })], (x) => tf.softmax(x), { invariants: [finite()] });
 * ```
 * Importing this module registers the matchers (toBeAllFinite, toStayFinite,
 * toHaveFiniteGradients, toMatchReference) with vitest's expect and types them.
 */
import { registerMatchers } from './matchers.ts';
import { registerBackendHook } from './backend.ts';

registerMatchers();
registerBackendHook();

export { numProp, type NumProp, type NumPropOptions, type NumPropMeta } from './num-prop.ts';
export {
  registerMatchers,
  type NanhuntMatchers,
  type PropertyMatcherOptions,
  type StayFiniteOptions,
  type AcceptedBy,
} from './matchers.ts';
export { toleranceOf, type ReferenceFn, type Float64Reference, type ExactReference, type MatchReferenceOptions } from './reference.ts';
export { resolveConfig, seedLine, ConfigError, DEFAULT_RUNS, type ConfigOptions, type ResolvedConfig, type Source } from './config.ts';
export { NanhuntFailure } from './report.ts';
export type { Generators, SubjectFor, SubjectArgs } from './generators.ts';
