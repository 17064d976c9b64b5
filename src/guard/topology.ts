/**
 * Models as data: the topology a capture keeps (`model.toJSON(null, false)`, the Keras JSON format
 * tfjs writes into model.json) and rebuilding a model from it synchronously, so a captured step can
 * run inside a property's subject (which must be synchronous) as well as in the CLI.
 *
 * tfjs's own loader (`tf.models.modelFromJSON`) is async; its work is the conversion of the Keras
 * (snake_case) config to tfjs's (camelCase) one and a `fromConfig` call on the registered class,
 * both synchronous. They are done here the same way: the conversion follows tfjs-layers 4.22's
 * `convertPythonicToTs` (names and the layer names inside inbound nodes are kept as they are).
 */
import * as tf from '@tensorflow/tfjs';

function toCamelCase(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier;
  return identifier.replace(/[_]+(\w|$)/g, (_m, p1: string) => p1.toUpperCase());
}

function isLayerName(key: string | undefined, index: number, item: unknown): boolean {
  return (key === 'inboundNodes' || key === 'outputLayers' || key === 'inputLayers') && index === 0 && typeof item === 'string';
}

/** Keras JSON config (snake_case) → tfjs config (camelCase), as tfjs-layers converts it. */
export function kerasToTfjsConfig(config: unknown, key?: string): unknown {
  if (config === null || config === undefined) return null;
  if (typeof config === 'string') return toCamelCase(config);
  if (typeof config === 'number' || typeof config === 'boolean') return config;
  if (Array.isArray(config)) return config.map((item, i) => (isLayerName(key, i, item) ? item : kerasToTfjsConfig(item, key)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (k === 'name' && typeof v === 'string') out[k] = v;
    else {
      const tk = toCamelCase(k);
      out[tk] = kerasToTfjsConfig(v, tk);
    }
  }
  return out;
}

/** Raised when a capture's model cannot be rebuilt (unknown class, malformed topology). */
export class TopologyError extends Error {
  override name = 'TopologyError';
}

type FromConfig = (cls: unknown, config: Record<string, unknown>, customObjects?: object, fastWeightInit?: boolean) => unknown;

/** The model's topology as a plain object (`model.toJSON(null, false)`: Keras JSON, as in model.json). */
export function topologyOf(model: tf.LayersModel): Record<string, unknown> {
  return model.toJSON(null, false) as Record<string, unknown>;
}

/**
 * A new model built from a topology (its weights are freshly initialized: set them). Synchronous.
 * Throws a TopologyError naming what is wrong.
 */
export function modelFromTopology(topology: unknown): tf.LayersModel {
  const converted = kerasToTfjsConfig(topology) as { className?: unknown; config?: unknown } | null;
  if (!converted || typeof converted.className !== 'string' || typeof converted.config !== 'object' || converted.config === null) {
    throw new TopologyError('the model topology has no class_name and config');
  }
  const entry = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, FromConfig] | undefined>)[converted.className];
  if (!entry) {
    throw new TopologyError(`unknown model class '${converted.className}' (a custom class must be registered with tf.serialization.registerClass)`);
  }
  const [cls, fromConfig] = entry;
  let model: unknown;
  try {
    model = fromConfig(cls, { ...(converted.config as Record<string, unknown>), customObjects: {} }, {}, false);
  } catch (e) {
    throw new TopologyError(`the model cannot be rebuilt from its topology: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!(model instanceof tf.LayersModel)) throw new TopologyError(`the topology describes a ${converted.className}, not a model`);
  return model;
}

/**
 * The LayersModel that trains: a Sequential trains through an inner functional model (built on
 * compile), whose makeTrainFunction, lossFunctions and stopTraining are the ones that matter.
 */
export function trainingModel(model: tf.LayersModel): tf.LayersModel {
  if (model instanceof tf.Sequential) {
    const inner = (model as unknown as { model?: tf.LayersModel }).model;
    if (!inner) {
      (model as unknown as { build(): void }).build();
      return (model as unknown as { model: tf.LayersModel }).model;
    }
    return inner;
  }
  return model;
}

/** The model's layers in order when it is a simple chain with one input and one output (each layer feeds the next), else undefined. */
export function layerChain(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  if (model instanceof tf.Sequential) return model.layers;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined;
  for (let i = 0; i < layers.length; i++) {
    const nodes = (layers[i] as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1 || nodes[0]!.inboundLayers.length !== 1) return undefined;
    const from = nodes[0]!.inboundLayers[0]!;
    if (i === 0 ? from.getClassName() !== 'InputLayer' : from !== layers[i - 1]) return undefined;
  }
  return layers;
}
