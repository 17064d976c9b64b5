/**
 * TrainingTrace: what one training run saw, step by step — per layer output, loss, per weight
 * gradient and weight after the update — as counts of non-finite values and largest finite
 * magnitudes. The runner returns it to nanhunt as tensors named after the layers and weights
 * (so it travels through execute() and the Observation like any subject output), and the
 * invariant decodes it back.
 */
import * as tf from '@tensorflow/tfjs';
import type { Observation, ReadTensor } from '../check/invariant.ts';

/** Non-finite element count and largest finite |value| of one tensor. */
export interface Stat {
  readonly nonFinite: number;
  readonly maxAbs: number;
  readonly size: number;
  /** The first non-finite value (NaN, Infinity or -Infinity), when there is one. */
  readonly first?: number;
}

export interface StepTrace {
  /** The scaled input batch. */
  readonly input: Stat;
  /** Output of each layer (empty when the model is not a chain of layers: outputs not observed). */
  readonly layers: readonly Stat[];
  /** The model's prediction. */
  readonly prediction: Stat;
  readonly loss: number;
  /** Gradient of each weight as computed. */
  readonly grads: readonly Stat[];
  /** Gradient as given to the optimizer (after scaling and clipping). */
  readonly applied: readonly Stat[];
  /** Each weight after the optimizer's update. */
  readonly weights: readonly Stat[];
}

export interface TrainingTrace {
  /** Labels of the model's layers, in order (`#2 dense(16, relu)`). */
  readonly layers: readonly string[];
  /** Labels of the trainable weights (`#2 dense/kernel`). */
  readonly weights: readonly string[];
  /** Index into `layers` of each weight's layer. */
  readonly weightLayer: readonly number[];
  /** Weights before the first step. */
  readonly initial: readonly Stat[];
  readonly steps: readonly StepTrace[];
  /** Steps the configuration asked for (the run stops early once weights are non-finite). */
  readonly planned: number;
}

/** Statistics of a tensor, read synchronously (cheap on the cpu backend). */
export function statOf(t: tf.Tensor): Stat {
  const d = t.dataSync() as Float32Array;
  let nonFinite = 0;
  let maxAbs = 0;
  let first: number | undefined;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) {
      nonFinite++;
      if (first === undefined) first = v;
    } else {
      const a = v < 0 ? -v : v;
      if (a > maxAbs) maxAbs = a;
    }
  }
  return first === undefined ? { nonFinite, maxAbs, size: d.length } : { nonFinite, maxAbs, size: d.length, first };
}

export const isBad = (s: Stat): boolean => s.nonFinite > 0;

// Encoding: one float32 row of 4 numbers per stat: nonFinite, maxAbs, size, first (0 when none).
const W = 4;
const row = (s: Stat): number[] => [s.nonFinite, s.maxAbs, s.size, s.first ?? 0];
const unrow = (d: ArrayLike<number>, o: number): Stat => {
  const nonFinite = d[o]!;
  return nonFinite > 0 ? { nonFinite, maxAbs: d[o + 1]!, size: d[o + 2]!, first: d[o + 3]! } : { nonFinite, maxAbs: d[o + 1]!, size: d[o + 2]! };
};

const META = 'training';
const PREFIX = { layer: 'layer ', weight: 'weight ' } as const;

/**
 * The trace as subject outputs: `training` [3] (planned steps, steps run, 1 when layer outputs
 * were observed), `loss` [S],
 * `input` and `prediction` [S, 4], `layer <label>` [S, 4], and per weight `weight <label>`
 * [S + 1, 12] (gradient, applied gradient, weight after the update; row 0 = initial weight).
 */
export function encodeTrace(trace: TrainingTrace): Record<string, tf.Tensor> {
  const S = trace.steps.length;
  const out: Record<string, tf.Tensor> = {};
  const observed = S > 0 && trace.steps[0]!.layers.length === trace.layers.length ? 1 : 0;
  out[META] = tf.tensor1d([trace.planned, S, observed]);
  out.loss = tf.tensor1d(trace.steps.map((s) => s.loss));
  out.input = tf.tensor2d(
    trace.steps.flatMap((s) => row(s.input)),
    [S, W],
  );
  out.prediction = tf.tensor2d(
    trace.steps.flatMap((s) => row(s.prediction)),
    [S, W],
  );
  const none: Stat = { nonFinite: 0, maxAbs: 0, size: 0 };
  trace.layers.forEach((label, i) => {
    out[PREFIX.layer + label] = tf.tensor2d(
      trace.steps.flatMap((s) => row(observed ? s.layers[i]! : none)),
      [S, W],
    );
  });
  trace.weights.forEach((label, w) => {
    const rows = [[...row(none), ...row(none), ...row(trace.initial[w]!)]];
    for (const s of trace.steps) rows.push([...row(s.grads[w]!), ...row(s.applied[w]!), ...row(s.weights[w]!)]);
    out[`${PREFIX.weight}${trace.weightLayer[w]} ${label}`] = tf.tensor2d(rows.flat(), [S + 1, 3 * W]);
  });
  return out;
}

const strip = (name: string): string => (name.startsWith('output.') ? name.slice('output.'.length) : name);

/** Decode a trace from the outputs of a training subject, or undefined when they are not one. */
export function decodeTrace(observation: Pick<Observation, 'outputs'>): TrainingTrace | undefined {
  const byName = new Map<string, ReadTensor>(observation.outputs.map((t) => [strip(t.name), t]));
  const meta = byName.get(META);
  const loss = byName.get('loss');
  const input = byName.get('input');
  const prediction = byName.get('prediction');
  if (!meta || !loss || !input || !prediction) return undefined;
  const planned = meta.data[0]!;
  const S = meta.data[1]!;
  const observed = meta.data[2] === 1;
  const layers: { label: string; data: ReadTensor['data'] }[] = [];
  const weights: { label: string; layer: number; data: ReadTensor['data'] }[] = [];
  for (const [name, t] of byName) {
    if (name.startsWith(PREFIX.layer)) layers.push({ label: name.slice(PREFIX.layer.length), data: t.data });
    else if (name.startsWith(PREFIX.weight)) {
      const rest = name.slice(PREFIX.weight.length);
      const space = rest.indexOf(' ');
      weights.push({ label: rest.slice(space + 1), layer: Number(rest.slice(0, space)), data: t.data });
    }
  }
  const steps: StepTrace[] = [];
  for (let s = 0; s < S; s++) {
    steps.push({
      input: unrow(input.data, s * W),
      prediction: unrow(prediction.data, s * W),
      layers: observed ? layers.map((l) => unrow(l.data, s * W)) : [],
      loss: loss.data[s]!,
      grads: weights.map((w) => unrow(w.data, (s + 1) * 3 * W)),
      applied: weights.map((w) => unrow(w.data, (s + 1) * 3 * W + W)),
      weights: weights.map((w) => unrow(w.data, (s + 1) * 3 * W + 2 * W)),
    });
  }
  return {
    layers: layers.map((l) => l.label),
    weights: weights.map((w) => w.label),
    weightLayer: weights.map((w) => w.layer),
    initial: weights.map((w) => unrow(w.data, 2 * W)),
    steps,
    planned,
  };
}

/**
 * Where each failing configuration diverged (0-based step), recorded by the training invariant and
 * read by the shrinker: its first candidate cuts the run right after that step, which fails the
 * same way and makes every later candidate cheaper. Keyed by the generated configuration object.
 */
export const divergedAt = new WeakMap<object, number>();
