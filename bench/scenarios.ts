/**
 * The naive scenarios figures 2 and 3 run: the user's stories of training going NaN, as nanhunt
 * properties, each with (where it makes sense) a "plain" input generator built from fast-check's
 * `fc.float32Array()` with its defaults, feeding the same subject.
 *
 * Tensor-level: naive BCE (properties/examples.ts), a naive softmax exp(x)/sum(exp(x)) and the
 * first Adam step without epsilon (written here). Training-level: the shipped scenarios of
 * properties/training.ts, looked up by name; when that module cannot be imported they are
 * reported as unavailable (with the reason) instead of failing the whole bench.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { gradients, logits } from '../src/generate/domain.ts';
import { tensor } from '../src/generate/tensor.ts';
import { isTensorValue, tensorValue, type TensorValue } from '../src/core/tensor-value.ts';
import { isProperty, property, type Property } from '../src/property/property.ts';
import { naiveBce } from '../properties/examples.ts';

export interface PlainGenerator {
  /** What the plain generator is, in words. */
  readonly description: string;
  /** Inputs in the form the property's subject takes (TensorValues inside), drawn with fc.float32Array(). */
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Also measure "failures on finite inputs only" (false when the bug is the non-finite input itself). */
  readonly finiteOnly: boolean;
}

export interface Scenario {
  /** Short key (used in the JSON and by --scenarios). */
  readonly id: string;
  readonly title: string;
  readonly level: 'tensor' | 'training';
  /** Where the property comes from. */
  readonly source: string;
  readonly property?: Property<unknown>;
  /** Why the property is missing (import failed, renamed). */
  readonly unavailable?: string;
  /** What a minimal counterexample should look like. */
  readonly expectedMinimal: string;
  readonly plain?: PlainGenerator;
  /** Why there is no plain-generator comparison. */
  readonly plainNote?: string;
}

/** softmax written the naive way: exp(x) overflows above 88.72, and Infinity / Infinity is NaN. */
export const naiveSoftmax = property({
  name: 'naive softmax (bench)',
  description: 'exp(x) / sum(exp(x)) without subtracting the max: exp overflows for x > 88.72 and Infinity / Infinity is NaN.',
  inputs: { x: tensor({ elements: logits() }) },
  subject: ({ x }) => tf.div(tf.exp(x), tf.sum(tf.exp(x), -1, true)),
  expectFailure: 'exp(x) overflows for x > 88.72: Infinity / Infinity = NaN',
  tags: ['bench', 'example'],
});

/**
 * The first Adam step (m = v = 0, beta1 0.9, beta2 0.999, lr 1e-3) written without epsilon:
 * when 0.001·g² underflows to 0 (|g| < ~1.2e-21, or g = 0) the update divides by sqrt(0).
 */
export const adamStepNoEpsilon = property({
  name: 'Adam first step without epsilon (bench)',
  description: 'update = lr · m̂ / (√v̂ + 0): the second moment of a tiny gradient underflows to 0 and the update is g/0 or 0/0.',
  inputs: { g: tensor({ elements: gradients() }) },
  subject: ({ g }) => {
    const m = tf.mul(0.1, g);
    const v = tf.mul(0.001, tf.square(g));
    const mHat = tf.div(m, 0.1);
    const vHat = tf.div(v, 0.001);
    return tf.mul(-1e-3, tf.div(mHat, tf.add(tf.sqrt(vHat), 0)));
  },
  expectFailure: 'the second moment of a tiny gradient underflows to 0: g / 0',
  tags: ['bench', 'example'],
});

const vector = (a: Float32Array): TensorValue => tensorValue([a.length], a);

/** fc.float32Array() with fast-check's defaults (NaN and ±Infinity included, length 0-10 at default size). */
const plainFloats = (): fc.Arbitrary<Float32Array> => fc.float32Array();

const TRAINING = {
  exploding: 'training: ReLU MLP initialized from U(1, 10)',
  adam: 'training: Adam with gradients scaled by 1e-50 and a tiny epsilon',
  nanData: 'training: one NaN cell in the data',
} as const;

/** The scenarios, training ones included when properties/training.ts loads. */
export async function loadScenarios(): Promise<Scenario[]> {
  const scenarios: Scenario[] = [
    {
      id: 'naive-bce',
      title: 'naive BCE',
      level: 'tensor',
      source: 'properties/examples.ts naiveBce',
      property: naiveBce as Property<unknown>,
      expectedMinimal: 'one logit at the sigmoid saturation point (18: sigmoid rounds to 1), label 0',
      plain: {
        description: 'x = fc.float32Array(), y = 0/1 labels of the same length',
        arbitrary: fc
          .float32Array()
          .chain((x) =>
            fc
              .array(fc.constantFrom(0, 1), { minLength: x.length, maxLength: x.length })
              .map((y) => ({ batch: { x: vector(x), y: vector(Float32Array.from(y)) } })),
          ),
        finiteOnly: true,
      },
    },
    {
      id: 'naive-softmax',
      title: 'naive softmax',
      level: 'tensor',
      source: 'bench/scenarios.ts naiveSoftmax',
      property: naiveSoftmax as Property<unknown>,
      expectedMinimal: 'one logit just above the exp overflow edge (89)',
      plain: { description: 'x = fc.float32Array()', arbitrary: plainFloats().map((x) => ({ x: vector(x) })), finiteOnly: true },
    },
    {
      id: 'adam-step',
      title: 'Adam step, no epsilon (tensor)',
      level: 'tensor',
      source: 'bench/scenarios.ts adamStepNoEpsilon',
      property: adamStepNoEpsilon as Property<unknown>,
      expectedMinimal: 'one gradient of 0 (0/0)',
      plain: { description: 'g = fc.float32Array()', arbitrary: plainFloats().map((g) => ({ g: vector(g) })), finiteOnly: true },
    },
  ];
  let training: Record<string, unknown> | undefined;
  let reason = '';
  try {
    training = (await import('../properties/training.ts')) as Record<string, unknown>;
  } catch (e) {
    reason = `properties/training.ts did not load: ${(e as Error).message.split('\n')[0]}`;
  }
  const find = (name: string): Property<unknown> | undefined =>
    training ? (Object.values(training).find((p) => isProperty(p) && p.name === name) as Property<unknown> | undefined) : undefined;
  const add = (id: string, title: string, name: string, expectedMinimal: string, extra: Partial<Scenario>) => {
    const p = find(name);
    scenarios.push({
      id,
      title,
      level: 'training',
      source: `properties/training.ts '${name}'`,
      ...(p ? { property: p } : { unavailable: reason || `no property named '${name}' in properties/training.ts` }),
      expectedMinimal,
      ...extra,
    });
  };
  add('exploding-mlp', 'exploding ReLU MLP, U(1, 10)', TRAINING.exploding, 'the smallest network, data and step count that still overflow', {
    plainNote: 'the failure is in the initializer range, not in an array of floats: no plain equivalent',
  });
  add('adam-tiny', 'Adam, tiny gradients, tiny epsilon', TRAINING.adam, 'a minimal network, epsilon 0 and a gradient scale that underflows', {
    plainNote: 'the failure is in the gradient scale and epsilon, not in an array of floats: no plain equivalent',
  });
  const nanData = find(TRAINING.nanData);
  add('nan-data', 'one NaN cell in the data', TRAINING.nanData, 'one row, one feature: the NaN cell, one step', {
    ...(nanData
      ? {
          plain: {
            description: "the same configurations with every data cell from fc.float32Array() (fast-check's defaults include NaN)",
            arbitrary: nanData.arbitrary.chain((config) => {
              const c = config as { data: { x: TensorValue } };
              const size = c.data.x.data.length;
              return fc
                .float32Array({ minLength: size, maxLength: size })
                .map((cells) => ({ ...c, data: { ...c.data, x: tensorValue(c.data.x.shape, cells) } }));
            }),
            finiteOnly: false,
          },
        }
      : {}),
  });
  return scenarios;
}

/** True when every float element of every TensorValue in the inputs is finite. */
export function allInputsFinite(inputs: unknown): boolean {
  if (isTensorValue(inputs)) {
    if (inputs.dtype !== 'float32') return true;
    for (const v of inputs.data) if (!Number.isFinite(v)) return false;
    return true;
  }
  if (Array.isArray(inputs)) return inputs.every(allInputsFinite);
  if (inputs !== null && typeof inputs === 'object') return Object.values(inputs).every(allInputsFinite);
  return true;
}
