/**
 * The guard on real training: tfjs-layers models that go NaN on their own are trained with the
 * guard attached to model.fit; each run must stop at the step where the first non-finite value
 * appeared (found independently by training the same run without the guard), the capture must name
 * it, and replaying the capture must give the same non-finite value on cpu and on wasm.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nanGuard, type NanGuard } from '../../src/guard/guard.ts';
import { readCapture, type Capture } from '../../src/guard/capture.ts';
import { replayCapture } from '../../src/guard/replay.ts';
import { faithfulStep, materializeCase, disposeCase } from '../../src/guard/step.ts';
import { optimizerSpec, optimizerState } from '../../src/guard/optimizer-state.ts';
import { lossSpecOf } from '../../src/guard/loss.ts';
import { topologyOf } from '../../src/guard/topology.ts';
import { tensorValue } from '../../src/core/tensor-value.ts';
import { useBackend } from '../../src/run/backend.ts';
import { describeStepDiagnosis } from '../../src/guard/report.ts';
import { divergingMlp, firstBadStep, lateNanFeature, naiveSigmoidLoss, sqrtAtZero, type Scenario } from './scenarios.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nanhunt-guard-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await useBackend('cpu');
});

interface Run {
  guard: NanGuard;
  lines: string[];
  history: tf.History;
  capture: Capture;
  /** The model's weight names (layer names count up across the process). */
  names: string[];
}

/** Train a scenario with the guard attached (shuffle off), read its capture, dispose everything. */
async function train(make: () => Scenario, options: Parameters<typeof nanGuard>[1] = {}): Promise<Run> {
  const s = make();
  const lines: string[] = [];
  const guard = nanGuard(s.model, { dir: path.join(dir, s.name.replace(/\W+/g, '-')), log: (l) => lines.push(l), ...options });
  try {
    const history = await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
    expect(guard.captureFile, lines.join('\n')).toMatch(/\.capture\.json$/);
    const capture = readCapture(guard.captureFile!);
    return { guard, lines, history, capture, names: s.model.weights.map((w) => w.originalName) };
  } finally {
    guard.detach();
    s.dispose();
  }
}

/** Replay a capture on a backend; back on cpu after. */
async function replayOn(backend: string, capture: Capture) {
  await useBackend(backend);
  try {
    return replayCapture(capture);
  } finally {
    await useBackend('cpu');
  }
}

describe('nanGuard on model.fit: real runs that go non-finite on their own', () => {
  it('a ReLU MLP whose learning rate makes it diverge: stopped at the step the loss overflows, captured, replayed on cpu and wasm', async () => {
    const expected = await firstBadStep(divergingMlp);
    expect(expected.lossStep).toBe(21); // the run itself: 20 finite steps, then +Infinity
    const before = tf.memory().numTensors;
    const run = await train(divergingMlp);
    expect(tf.memory().numTensors).toBe(before); // the guard and the run leave nothing behind
    expect(run.guard.steps).toBe(21);
    expect(run.guard.stopped).toBe(true);
    expect(run.history.epoch.length).toBe(6); // epochs of 4 steps: stopped in the 6th
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(
      /^nanhunt guard: the loss is \+Infinity at step 21 \(epoch 6, batch 1\); captured in .+\.capture\.json; training stopped; replay: npx nanhunt capture replay .+\.capture\.json$/,
    );
    const c = run.capture;
    expect(c.info).toMatchObject({ step: 21, epoch: 6, batch: 1, symptom: { what: 'loss', value: Infinity }, detected: { step: 21, what: 'loss' } });
    expect(c.info.losses).toHaveLength(6);
    expect(c.info.losses.every(Number.isFinite)).toBe(true);
    expect(c.info.losses[5]!).toBeGreaterThan(1e37); // the step before was finite, barely
    expect(c.case.kind).toBe('fit');
    expect(c.case.optimizer).toMatchObject({ className: 'SGD', config: { learningRate: 5 }, state: { numbers: { iterations_: 20 } } });
    expect(c.case.loss).toEqual([{ kind: 'name', name: 'meanSquaredError' }]);
    expect(c.case.inputs[0]!.shape).toEqual([16, 4]);
    expect(c.case.weights.map((w) => w.name)).toEqual(run.names);
    expect(run.names).toHaveLength(6);
    for (const backend of ['cpu', 'wasm']) {
      const r = await replayOn(backend, c);
      expect(r.backend).toBe(backend);
      expect(r.reproduces, backend).toBe(true);
      expect(r.outcome.faithful.loss).toBe(Infinity);
      expect(r.outcome.diagnosis?.stage).toBe('loss');
      expect(describeStepDiagnosis(r.outcome.diagnosis!)).toMatch(/^step 21: the loss is Infinity while the predictions are finite; losses before: /);
      // the squared error overflows: a Multiply of two finite predictions gives +Infinity
      expect(r.outcome.faithful.provenance?.born?.kernel).toBe('Multiply');
    }
  });

  it('a custom loss with a naive log of a saturating sigmoid (Adam): stopped at the first NaN loss; the loss source is captured and runs on its own', async () => {
    const expected = await firstBadStep(naiveSigmoidLoss);
    expect(expected.lossStep).toBe(31);
    const run = await train(naiveSigmoidLoss);
    expect(run.guard.steps).toBe(31);
    expect(run.lines[0]).toMatch(/the loss is NaN at step 31 \(epoch 8, batch 3\)/);
    const c = run.capture;
    expect(c.info.symptom).toEqual({ what: 'loss', value: Number.NaN });
    // vitest renamed the tfjs namespace in the function's text; the capture reads it back as tf and checked it
    expect(c.case.loss).toHaveLength(1);
    expect(c.case.loss[0]).toMatchObject({ kind: 'source' });
    expect(c.case.loss[0]).not.toHaveProperty('problem');
    expect((c.case.loss[0] as { source: string }).source).toContain('tf.log(tf.sigmoid(yPred))');
    // Adam's state before step 31, exactly: 30 iterations, the running beta powers and both moments
    expect(c.case.optimizer.className).toBe('Adam');
    expect(c.case.optimizer.state.numbers.iterations_).toBe(30);
    expect(Object.keys(c.case.optimizer.state.variables).sort()).toEqual(['accBeta1', 'accBeta2']);
    expect(c.case.optimizer.state.slots.accumulatedFirstMoment?.map((s) => s?.name)).toEqual(run.names.map((n) => `${n}/m`));
    expect(c.case.optimizer.state.slots.accumulatedSecondMoment?.map((s) => s?.name)).toEqual(run.names.map((n) => `${n}/v`));
    for (const backend of ['cpu', 'wasm']) {
      const r = await replayOn(backend, c);
      expect(r.reproduces, backend).toBe(true);
      expect(Number.isNaN(r.outcome.faithful.loss)).toBe(true);
      const p = r.outcome.faithful.provenance!;
      expect(p.born?.kernel, backend).toBe('Log'); // log(1 - sigmoid(z)) = log(0) = -Infinity
      expect(p.nanBorn?.kernel, backend).toBe('Multiply'); // 0 * -Infinity
    }
  });

  it('a batch with one NaN feature late in the data: stopped at batch 10, the data named as where it came from', async () => {
    const expected = await firstBadStep(lateNanFeature);
    expect(expected.lossStep).toBe(10);
    const run = await train(lateNanFeature);
    expect(run.guard.steps).toBe(10);
    expect(run.history.epoch.length).toBe(1);
    expect(run.lines[0]).toMatch(/the loss is NaN at step 10 \(epoch 1, batch 10\)/);
    const x = run.capture.case.inputs[0]!;
    expect(x.shape).toEqual([8, 3]);
    expect(Array.from(x.data).findIndex(Number.isNaN)).toBe(3 * 3 + 1); // row 75 = row 3 of the last batch
    for (const backend of ['cpu', 'wasm']) {
      const r = await replayOn(backend, run.capture);
      expect(r.reproduces, backend).toBe(true);
      expect(r.outcome.diagnosis?.stage).toBe('data');
      expect(describeStepDiagnosis(r.outcome.diagnosis!)).toMatch(/^step 10: the data batch holds NaN \(1 of 24 values\)/);
    }
  });

  it('weights that go NaN while the loss is still finite: seen one step later, the step before is captured', async () => {
    const expected = await firstBadStep(sqrtAtZero);
    expect(expected).toEqual({ lossStep: 2, weightStep: 1 });
    const run = await train(sqrtAtZero);
    expect(run.guard.steps).toBe(2);
    const c = run.capture;
    expect(c.info.step).toBe(1);
    expect(c.info.detected).toMatchObject({ step: 2, what: 'loss' });
    expect(c.info.symptom).toMatchObject({ what: 'weight', name: run.names[0] });
    expect(c.info.notes.join('\n')).toMatch(/detected at step 2 \(the loss is NaN\); the weights went non-finite in step 1/);
    for (const backend of ['cpu', 'wasm']) {
      const r = await replayOn(backend, c);
      expect(r.reproduces, backend).toBe(true);
      expect(r.outcome.faithful.symptom).toMatchObject({ what: 'weight', name: run.names[0] });
      expect(Number.isFinite(r.outcome.faithful.loss)).toBe(true);
      expect(r.outcome.diagnosis?.stage).toBe('gradient');
    }
    // checking the weights every step catches it in the step itself
    const every = await train(sqrtAtZero, { checkEvery: 1 });
    expect(every.guard.steps).toBe(1);
    expect(every.capture.info.detected).toMatchObject({ step: 1, what: 'weight', name: every.names[0] });
  });

  it('stop: false keeps training and writes one capture', async () => {
    const s = lateNanFeature();
    const lines: string[] = [];
    const out = path.join(dir, 'nostop');
    const guard = nanGuard(s.model, { dir: out, stop: false, log: (l) => lines.push(l) });
    try {
      await s.model.fit(s.x, s.y, { ...s.fit, shuffle: false, verbose: 0, callbacks: [guard] });
      expect(guard.steps).toBe(30);
      expect(guard.stopped).toBe(false);
      expect(guard.detected?.step).toBe(10);
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain('training stopped');
      expect(readdirSync(out).filter((f) => f.endsWith('.capture.json'))).toHaveLength(1);
    } finally {
      guard.detach();
      s.dispose();
    }
  });
});

describe('a replayed step is the training step', () => {
  it("rebuilt from topology, weights and Adam's exact state, the step gives bit-identical weights and loss", async () => {
    const s = naiveSigmoidLoss();
    try {
      const opt = s.model.optimizer;
      // 3 real steps, so Adam's moments and beta powers are not at their initial values
      for (let i = 0; i < 3; i++) {
        const [xi, yi] = [s.x.slice([i * 16], [16]), s.y.slice([i * 16], [16])];
        await s.model.trainOnBatch(xi, yi);
        tf.dispose([xi, yi]);
      }
      const tv = (t: tf.Tensor) => tensorValue(t.shape, t.dataSync(), 'float32');
      const xb = s.x.slice([48], [16]);
      const yb = s.y.slice([48], [16]);
      const kase = {
        kind: 'fit' as const,
        topology: topologyOf(s.model),
        weights: s.model.weights.map((w) => ({ name: w.originalName, value: tv(w.read()) })),
        optimizer: { ...optimizerSpec(opt), state: optimizerState(opt, tv) },
        loss: [lossSpecOf(s.model.loss)],
        inputs: [tv(xb)],
        targets: [tv(yb)],
      };
      const trained = await s.model.trainOnBatch(xb, yb);
      for (const backend of ['cpu']) {
        await useBackend(backend);
        const live = materializeCase(kase);
        try {
          const r = faithfulStep(live, { weights: true });
          expect(r.loss).toBe(trained);
          r.weightsAfter!.forEach((w, i) => {
            expect(Array.from(w.value.data)).toEqual(Array.from(s.model.weights[i]!.read().dataSync()));
          });
        } finally {
          disposeCase(live);
        }
      }
      tf.dispose([xb, yb]);
    } finally {
      s.dispose();
    }
  });
});
