import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../src/index.ts';
import { onBackend, prepareBackends, switchBackend } from '../../src/diff/index.ts';
import { resetSwitching } from '../../src/diff/switch.ts';

beforeAll(async () => {
  await prepareBackends(['cpu', 'wasm']);
});

describe('switching backends synchronously', () => {
  it('runs ops on the backend switched to, and onBackend returns to the previous one', () => {
    expect(tf.getBackend()).toBe('cpu');
    const seen = onBackend('wasm', () => {
      const t = tf.exp(tf.tensor([1]));
      const where = tf.engine().state.tensorInfo.get(t.dataId)?.backend;
      const out = { name: tf.getBackend(), isWasm: where === tf.findBackend('wasm'), value: t.dataSync()[0] };
      t.dispose();
      return out;
    });
    expect(seen).toEqual({ name: 'wasm', isWasm: true, value: Math.fround(Math.E) });
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.backend()).toBe(tf.findBackend('cpu'));
  });

  it('is cheap after the first switch (measured: well under tf.setBackend, which re-runs every kernel setup)', () => {
    resetSwitching();
    switchBackend('wasm');
    switchBackend('cpu');
    const n = 2000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) switchBackend(i % 2 ? 'cpu' : 'wasm');
    const fast = (performance.now() - t0) / n;
    t0 = performance.now();
    for (let i = 0; i < 200; i++) void tf.setBackend(i % 2 ? 'cpu' : 'wasm');
    const full = (performance.now() - t0) / 200;
    switchBackend('cpu');
    expect(tf.backend()).toBe(tf.findBackend('cpu'));
    expect(fast * 10).toBeLessThan(full);
  });

  it('refuses a backend that was never initialized', () => {
    expect(() => switchBackend('node')).toThrow(BackendError);
    expect(() => switchBackend('node')).toThrow(/backend 'node' is not initialized/);
    expect(tf.getBackend()).toBe('cpu');
  });
});
