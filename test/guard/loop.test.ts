/**
 * The guard in custom loops (guard.minimize, guard.applyGradients) and with fitDataset; what it
 * keeps in memory; its options; a loss whose text does not run on its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nanGuard } from '../../src/guard/guard.ts';
import { readCapture } from '../../src/guard/capture.ts';
import { replayCapture, ReplayError } from '../../src/guard/replay.ts';
import { useBackend } from '../../src/run/backend.ts';
import { divergingMlp, lateNanFeature, NAIVE_BCE_SOURCE, naiveSigmoidBce, naiveSigmoidLoss, sqrtAtZero } from './scenarios.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-guard-loop-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await useBackend('cpu');
});

async function onBoth<T>(fn: (backend: string) => T): Promise<void> {
  for (const backend of ['cpu', 'wasm']) {
    await useBackend(backend);
    try {
      fn(backend);
    } finally {
      await useBackend('cpu');
    }
  }
}

describe('custom loops', () => {
  it('guard.minimize: the naive-BCE run of a custom loop stops at the same step as model.fit, and its capture replays on cpu and wasm', async () => {
    const s = naiveSigmoidLoss(); // its compiled optimizer and loss are not used: the loop brings its own
    const optimizer = tf.train.adam(0.5);
    const lines: string[] = [];
    const guard = nanGuard(s.model, { optimizer, loss: naiveSigmoidBce, dir: path.join(dir, 'minimize'), log: (l) => lines.push(l) });
    try {
      let steps = 0;
      for (let epoch = 0; epoch < 100 && !guard.stopped; epoch++) {
        for (let b = 0; b < 4 && !guard.stopped; b++) {
          const [xb, yb] = [s.x.slice([b * 16], [16]), s.y.slice([b * 16], [16])];
          guard.minimize(xb, yb);
          tf.dispose([xb, yb]);
          steps++;
        }
      }
      expect(steps).toBe(31); // as with model.fit: minimize takes the same step
      expect(lines[0]).toMatch(/^nanhunt guard: the loss is NaN at step 31; captured in /);
      const c = readCapture(guard.captureFile!);
      expect(c.case.kind).toBe('minimize');
      expect(c.case.optimizer.state.numbers.iterations_).toBe(30);
      await onBoth((backend) => {
        const r = replayCapture(c);
        expect(r.reproduces, backend).toBe(true);
        expect(r.outcome.faithful.provenance?.nanBorn?.kernel, backend).toBe('Multiply');
      });
    } finally {
      guard.detach();
      optimizer.dispose();
      s.dispose();
    }
  });

  it('guard.applyGradients: gradients the loop computed are kept with the batch; the NaN weights of step 1 are captured when the loss shows them at step 2', async () => {
    const s = sqrtAtZero();
    const optimizer = tf.train.sgd(0.1);
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.sqrt(tf.abs(tf.sub(a, b))));
    const guard = nanGuard(s.model, { optimizer, loss, dir: path.join(dir, 'apply'), log: false });
    const vars = s.model.trainableWeights.map((w) => w.read() as tf.Variable);
    try {
      let steps = 0;
      for (let b = 0; b < 2 && !guard.stopped; b++) {
        const [xb, yb] = [s.x.slice([b * 2], [2]), s.y.slice([b * 2], [2])];
        const { value, grads } = tf.variableGrads(() => loss(yb, s.model.apply(xb) as tf.Tensor) as tf.Scalar, vars);
        guard.applyGradients(grads, { x: xb, y: yb, loss: value });
        tf.dispose([xb, yb, value, ...Object.values(grads)]);
        steps++;
      }
      expect(steps).toBe(2);
      const c = readCapture(guard.captureFile!);
      expect(c.case.kind).toBe('applyGradients');
      expect(c.info.step).toBe(1);
      expect(c.case.gradients?.map((g) => g.name)).toEqual(s.model.trainableWeights.map((w) => w.originalName));
      expect(Array.from(c.case.gradients![0]!.value.data).some((v) => !Number.isFinite(v))).toBe(true);
      await onBoth((backend) => {
        const r = replayCapture(c);
        expect(r.reproduces, backend).toBe(true);
        expect(r.outcome.faithful.symptom).toMatchObject({ what: 'weight', name: s.model.weights[0]!.originalName });
      });
    } finally {
      guard.detach();
      optimizer.dispose();
      s.dispose();
    }
  });

  it('fitDataset: the batch with the NaN feature is seen at step 10', async () => {
    const s = lateNanFeature();
    const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(s.x)), ys: tf.data.array(tf.unstack(s.y)) }).batch(8);
    const guard = nanGuard(s.model, { dir: path.join(dir, 'dataset'), log: false });
    try {
      await s.model.fitDataset(ds as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>, { epochs: 2, verbose: 0, callbacks: [guard] });
      expect(guard.steps).toBe(10);
      const c = readCapture(guard.captureFile!);
      expect(c.info).toMatchObject({ step: 10, epoch: 1, batch: 10 });
      expect(replayCapture(c).outcome.diagnosis?.stage).toBe('data');
    } finally {
      guard.detach();
      s.dispose();
    }
  });
});

describe('memory and options', () => {
  it('keeps `history` steps: what it holds during a healthy run is bounded, and nothing is left after detach', async () => {
    /** Live tensors at the end of each step of a healthy run, with or without a guard. */
    const counts = async (history: number | undefined) => {
      const s = divergingMlp();
      const old = s.model.optimizer;
      s.model.optimizer = tf.train.sgd(0.001); // a run that stays finite
      old.dispose();
      const guard = history === undefined ? undefined : nanGuard(s.model, { history, log: false, dir: path.join(dir, 'healthy') });
      const out: number[] = [];
      await s.model.fit(s.x, s.y, {
        epochs: 5,
        batchSize: 16,
        shuffle: false,
        verbose: 0,
        callbacks: [...(guard ? [guard] : []), new tf.CustomCallback({ onBatchEnd: async () => void out.push(tf.memory().numTensors) })],
      });
      expect(guard?.steps ?? 20).toBe(20);
      expect(guard?.captureFile).toBeUndefined();
      const held = tf.memory().numTensors;
      guard?.detach();
      const released = held - tf.memory().numTensors;
      s.dispose();
      return { out, released };
    };
    const before = tf.memory().numTensors;
    const plain = await counts(undefined);
    const guarded = await counts(3);
    expect(tf.memory().numTensors).toBe(before);
    // per kept step: the 6 weights and the batch (x, y); SGD has no state
    const extra = guarded.out.map((n, i) => n - plain.out[i]!);
    expect(extra.slice(0, 3)).toEqual([8, 16, 24]);
    expect(extra.slice(3).every((n) => n === 24)).toBe(true);
    expect(guarded.released).toBe(24);
  });

  it('rejects what it cannot guard, in one clear sentence', () => {
    expect(() => nanGuard({} as tf.LayersModel)).toThrow(/expected a tf\.LayersModel/);
    const s = divergingMlp();
    try {
      expect(() => nanGuard(s.model, { checkEvery: -1 })).toThrow(/checkEvery must be a non-negative integer/);
      expect(() => nanGuard(s.model, { history: 0 })).toThrow(/history must be a positive integer/);
      const first = nanGuard(s.model, { log: false });
      expect(() => nanGuard(s.model)).toThrow(/this model is guarded already \(detach that guard first\)/);
      first.detach();
      nanGuard(s.model, { log: false }).detach();
      const plain = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
      const g = nanGuard(plain, { log: false });
      expect(() => g.minimize(tf.zeros([1, 2]), tf.zeros([1, 1]))).toThrow(/no optimizer: compile the model or pass \{ optimizer \}/);
      g.detach();
      plain.dispose();
    } finally {
      s.dispose();
    }
  });

  it('a loss that calls a helper defined elsewhere: the capture says so, replay fails with the reason, and lossSource makes it replayable', async () => {
    const clippedLog = (t: tf.Tensor) => tf.log(t); // a helper outside the loss
    const helperLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.neg(tf.mean(tf.add(tf.mul(yTrue, clippedLog(tf.sigmoid(yPred))), tf.mul(tf.sub(1, yTrue), clippedLog(tf.sub(1, tf.sigmoid(yPred)))))));
    for (const lossSource of [undefined, NAIVE_BCE_SOURCE]) {
      const s = naiveSigmoidLoss();
      s.model.compile({ optimizer: tf.train.adam(0.5), loss: helperLoss });
      const guard = nanGuard(s.model, { dir: path.join(dir, 'helper'), log: false, ...(lossSource ? { lossSource } : {}) });
      try {
        await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
        expect(guard.steps).toBe(31);
        const c = readCapture(guard.captureFile!);
        if (lossSource === undefined) {
          expect(c.case.loss[0]).toMatchObject({ kind: 'source', problem: 'the loss source refers to `clippedLog`, which is defined outside it' });
          expect(c.info.notes.join('\n')).toContain('pass its text as nanGuard(model, { lossSource })');
          expect(() => replayCapture(c)).toThrow(ReplayError);
          expect(() => replayCapture(c)).toThrow(/the captured step throws when taken again: ReferenceError: clippedLog is not defined/);
        } else {
          expect(c.case.loss[0]).toEqual({ kind: 'source', source: NAIVE_BCE_SOURCE });
          expect(replayCapture(c).reproduces).toBe(true);
        }
      } finally {
        guard.detach();
        s.model.optimizer.dispose();
        s.dispose();
      }
    }
  });
});
