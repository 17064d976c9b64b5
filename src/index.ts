/**
 * nanhunt — property-based numerical testing for TensorFlow.js.
 *
 * Pipeline: generate (arbitraries of TensorValues) → run the subject on a backend → check
 * invariants → shrink → explain (NaN provenance) → report.
 */
export { float32, classify, FLOAT32_CLASSES, type Float32Options, type Float32Class, type Float32Arb } from './generate/float32.ts';
export * from './generate/float32-constants.ts';
export { shape, type ShapeOptions } from './generate/shape.ts';
export { tensor, tensors, type TensorOptions, type TensorsOptions, type DimOptions } from './generate/tensor.ts';
export {
  tensorValue,
  isTensorValue,
  sizeOf,
  serializeValue,
  deserializeValue,
  type TensorValue,
  type DType,
} from './generate/tensor-value.ts';
export { elementwise, fromArbitrary, type Elements } from './generate/elements.ts';
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
  type GradientOptions,
} from './generate/domain.ts';
export { simplerCandidates, isSimpler } from './shrink/simplify-number.ts';
export { invariant, type Invariant, type Observation, type Violation, type ReadTensor, type Location } from './check/invariant.ts';
export { finite, noNaN, type FiniteOptions } from './check/finite.ts';
export { execute, materialize, type Subject, type SubjectOutput, type Materialized, type Outcome } from './run/execute.ts';
export { useBackend, activeBackend, BACKENDS, BackendError, type BackendName } from './run/backend.ts';
export { recordKernels, type Provenance, type KernelCall, type Summary } from './explain/provenance.ts';
export { property, isProperty, type Property, type PropertyDefinition } from './property/property.ts';
export { runProperty, propertySeed, checkOnce, type PropertyResult, type RunOptions, type Failure, type Status } from './property/runner.ts';
export { failureReport, summaryLine, replayCommand, type ReportContext } from './report/format.ts';
