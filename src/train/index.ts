/**
 * Training runs that go NaN: generated configurations, the training runner, the per-step
 * invariant and its diagnosis, readable reports and standalone repro scripts.
 */
export {
  LAYER_TYPES,
  ACTIVATIONS,
  INIT_KINDS,
  OPTIMIZERS,
  LOSSES,
  layerPlan,
  isTrainingConfig,
  findTrainingConfig,
  configProblem,
  type TrainingConfig,
  type TrainingData,
  type LayerSpec,
  type InitSpec,
  type OptimizerSpec,
  type LayerType,
  type Activation,
  type InitKind,
  type OptimizerName,
  type LossName,
  type PlannedLayer,
} from './config.ts';
export { trainingConfig, type TrainingConfigOptions, type Range, type OptionalRange } from './generate.ts';
export { BUILTIN_LOSSES, TrainingSetupError, type LossFunction, type TargetKind } from './losses.ts';
export { buildModel } from './model.ts';
export {
  runTraining,
  trainingSubject,
  batchRows,
  type ModelFactory,
  type UserLoss,
  type TrainingHooks,
  type TrainingSetup,
  type LiveTrainingConfig,
} from './run.ts';
export { decodeTrace, type TrainingTrace, type StepTrace, type Stat } from './trace.ts';
export {
  trainingFinite,
  diagnose,
  describeDiagnosis,
  TRAINING_INVARIANT,
  type Diagnosis,
  type Stage,
  type LayerFinding,
  type WeightFinding,
} from './diagnose.ts';
export { formatTrainingConfig, formatTrace, trainingReport, replayTraining, trainingInputFormatter } from './report.ts';
export { trainingReproScript, writeTrainingRepro, trainingReproWriter, type ReproOptions } from './repro.ts';
export { trainingProperty, TRAINING_RUNS, type TrainingPropertyDefinition } from './property.ts';
