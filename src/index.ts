/**
 * nanhunt — property-based numerical testing for TensorFlow.js: the authoring API.
 *
 * Write properties (generators of extreme inputs, a subject, invariants), run them, judge them
 * against exact reference math. Everything else has its own entry point:
 *
 * - `nanhunt/report` — failure reports, JSON/JUnit/HTML, repro scripts, the CI gate and baseline;
 * - `nanhunt/diff` — differential testing across backends;
 * - `nanhunt/train` — training internals (runner, trace, diagnosis, training repro scripts);
 * - `nanhunt/db` — the failure database and replay;
 * - `nanhunt/catalog` — OpInfo entries and the checks the shipped catalog is built from;
 * - `nanhunt/vitest` — `numProp` and the numerical matchers.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { property, runProperty, tensor, logits } from 'nanhunt';
 * const softmax = property({ name: 'softmax stays finite', inputs: { x: tensor({ elements: logits() }) }, subject: ({ x }) => tf.softmax(x) });
 * console.log(runProperty(softmax).status); // 'passed'
 * ```
 */

// generators
export {
  float32,
  classify,
  FLOAT32_CLASSES,
  OVERFLOWING_SUMS,
  OVERFLOWING_SQUARES,
  UNDERFLOWING_SUMS,
  type Float32Options,
  type Focus,
  type Float32Class,
  type Float32Arb,
} from './generate/float32.ts';
export { shape, type ShapeOptions } from './generate/shape.ts';
export { tensor, tensors, type TensorOptions, type TensorsOptions, type DimOptions } from './generate/tensor.ts';
export { elementwise, fromArbitrary, type Elements } from './generate/elements.ts';
export { specialValues } from './generate/special.ts';
export { structured, patternData, PATTERNS, type Pattern, type PatternSpec, type StructuredOptions } from './generate/structured.ts';
export {
  logits,
  probabilities,
  binaryLabels,
  oneHotLabels,
  weights,
  gradients,
  learningRates,
  integers,
  scalar,
  type LogitsOptions,
  type OneHotOptions,
  type WeightOptions,
  type InitScheme,
  type GradientValuesOptions,
} from './generate/domain.ts';
export { tensorValue, isTensorValue, sizeOf, serializeValue, deserializeValue, type TensorValue, type DType } from './core/tensor-value.ts';
export { simplerCandidates, isSimpler } from './shrink/simplify-number.ts';

// float32 facts
export {
  MAX_FLOAT32,
  MIN_NORMAL,
  MIN_SUBNORMAL,
  MAX_SUBNORMAL,
  EPSILON,
  EXP_OVERFLOW_EDGE,
  EXP_SUBNORMAL_EDGE,
  EXP_UNDERFLOW_EDGE,
  SIGMOID_SATURATION,
  FLOAT16_MAX,
  FLOAT16_MIN_NORMAL,
  FLOAT16_MIN_SUBNORMAL,
  SQUARE_OVERFLOW_EDGE,
  nextUp,
  nextDown,
  isFloat32,
  isSubnormal,
  float32Ordinal,
  ulpDistance,
} from './core/float32.ts';

// invariants
export {
  invariant,
  type Invariant,
  type Observation,
  type Violation,
  type ReadTensor,
  type Location,
  type ErrorSample,
  type Standalone,
  type StandaloneTensor,
} from './check/invariant.ts';
export { finite, noNaN, type FiniteOptions } from './check/finite.ts';
export { matchesReference, compareToReference, type ReferenceResult, type MatchesReferenceOptions } from './check/accuracy.ts';
export { measureError, bitsOfError, type ErrorMeasure } from './check/error.ts';
export { checkGradient, gradientMatches, type GradientCheckOptions, type GradientReport } from './check/gradient.ts';

// exact reference math
export * as reference from './reference/index.ts';
export type { ExactTensor, Tolerance, OpTolerance, ToleranceName, ReferenceOptions } from './reference/index.ts';

// properties and running them
export { property, isProperty, type Property, type PropertyDefinition } from './property/property.ts';
export { runProperty, runPropertyAsync, propertySeed, checkOnce, type PropertyResult, type RunOptions, type Status } from './property/runner.ts';
export { sameFailure, failureKey, type Failure, type FailureKey, type ErrorStage } from './property/failure.ts';
export { loadProperties, type LoadedProperty, type PropertyOrigin } from './property/load.ts';
export { execute, materialize, type Subject, type SubjectOutput, type Materialized, type Outcome } from './run/execute.ts';
export { useBackend, activeBackend, BACKENDS, BackendError, type BackendName, type Unsupported } from './run/backend.ts';
export { recordKernels, type Provenance, type KernelCall, type Summary, type Trace, type TraceCall, type TraceTensor } from './explain/provenance.ts';
export { runExact, type ExactRun, type ExactValue } from './explain/exact.ts';
export { explainTrace, type Explanation, type Verdict, type Mechanism, type ExplainedStep } from './explain/explain.ts';
export { InputError } from './core/errors.ts';

// training properties (the runner, trace and diagnosis are in nanhunt/train)
export { trainingProperty, TRAINING_RUNS, type TrainingPropertyDefinition } from './train/property.ts';
export { trainingConfig, type TrainingConfigOptions, type Range, type OptionalRange } from './train/generate.ts';
export { trainingFinite } from './train/diagnose.ts';
export type { TrainingConfig, TrainingData, LayerSpec, OptimizerSpec } from './train/config.ts';
export type { ModelFactory, UserLoss, TrainingSetup } from './train/run.ts';
