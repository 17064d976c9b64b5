/**
 * Build the tfjs-layers model a TrainingConfig describes (see layerPlan), with seeded kernel
 * initializers so that the same configuration always starts from the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { exampleShape, layerPlan, type InitSpec, type PlannedLayer, type TrainingConfig } from './config.ts';

/** A tfjs initializer as a name and plain arguments: `tf.initializers[name](args)`. */
export interface InitializerCall {
  readonly name: 'varianceScaling' | 'randomUniform';
  readonly args: Readonly<Record<string, unknown>>;
}

/** The initializer of one kernel (seeded; recurrent kernels get the next seed). */
export function initializerCall(init: InitSpec, seed: number): InitializerCall {
  const s = init.scale;
  switch (init.kind) {
    case 'glorot':
      return { name: 'varianceScaling', args: { scale: s * s, mode: 'fanAvg', distribution: 'uniform', seed } };
    case 'he':
      return { name: 'varianceScaling', args: { scale: 2 * s * s, mode: 'fanIn', distribution: 'normal', seed } };
    case 'uniform':
      return { name: 'randomUniform', args: { minval: (init.low ?? -0.05) * s, maxval: (init.high ?? 0.05) * s, seed } };
  }
}

/** Seeds of a planned layer's kernels. */
export function kernelSeeds(config: Pick<TrainingConfig, 'seed'>, layer: PlannedLayer): { kernel: number; recurrent: number; bias: number } {
  const base = config.seed + 3 * layer.position;
  return { kernel: base, recurrent: base + 1, bias: base + 2 };
}

/** Full constructor arguments of a planned layer (initializers as calls), first layer with its input shape. */
export function layerArgs(
  config: TrainingConfig,
  layer: PlannedLayer,
): { kind: PlannedLayer['kind']; args: Record<string, unknown>; initializers: Record<string, InitializerCall> } {
  const args: Record<string, unknown> = { ...layer.args };
  if (layer.position === 1) args.inputShape = exampleShape(config);
  const initializers: Record<string, InitializerCall> = {};
  if (layer.kind !== 'flatten') {
    const seeds = kernelSeeds(config, layer);
    initializers.kernelInitializer = initializerCall(config.init, seeds.kernel);
    if (layer.kind === 'simpleRNN') initializers.recurrentInitializer = initializerCall(config.init, seeds.recurrent);
    if (config.init.biases) initializers.biasInitializer = initializerCall(config.init, seeds.bias);
    else args.biasInitializer = 'zeros';
  }
  return { kind: layer.kind, args, initializers };
}

function makeInitializer(call: InitializerCall): tf.serialization.Serializable {
  return call.name === 'varianceScaling' ? tf.initializers.varianceScaling(call.args as never) : tf.initializers.randomUniform(call.args as never);
}

/** A new tf.Sequential for the configuration. The caller disposes it. */
export function buildModel(config: TrainingConfig): tf.Sequential {
  const model = tf.sequential();
  try {
    for (const layer of layerPlan(config)) {
      const { kind, args, initializers } = layerArgs(config, layer);
      for (const [k, call] of Object.entries(initializers)) args[k] = makeInitializer(call);
      const make = tf.layers[kind] as (a: Record<string, unknown>) => tf.layers.Layer;
      model.add(make(args));
    }
  } catch (e) {
    try {
      model.dispose();
    } catch {
      // a model without layers cannot be disposed; the runner sweeps its variables
    }
    throw e;
  }
  return model;
}
