import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BackendError, float32, property, runProperty, tensor, useBackend } from '../../src/index.ts';
import { diffProperty } from '../../src/diff/index.ts';
import { activeBackend, missingPackageMessage, tfBackendName, type Importer } from '../../src/run/backend.ts';
import { prepareBackends } from '../../src/diff/switch.ts';

const notFound = (spec: string) => async () => {
  const e = new Error(`Cannot find package '${spec}' imported from x`) as Error & { code: string };
  e.code = 'ERR_MODULE_NOT_FOUND';
  throw e;
};

describe('backend selection', () => {
  it('runs on cpu and wasm', async () => {
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(tf.exp(tf.tensor([0, 1])).dataSync())[0]).toBe(1);
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('explains how to install tfjs-node and tfjs-node-gpu when they are missing', async () => {
    await expect(useBackend('node', notFound('@tensorflow/tfjs-node'))).rejects.toThrow(BackendError);
    await expect(useBackend('node', notFound('@tensorflow/tfjs-node'))).rejects.toThrow(/npm install @tensorflow\/tfjs-node@4\.22\.0/);
    await expect(useBackend('node-gpu', notFound('@tensorflow/tfjs-node-gpu'))).rejects.toThrow(/@tensorflow\/tfjs-node-gpu, which is not installed/);
    // the real import of a package that is not installed fails the same way (tfjs-node-gpu needs CUDA;
    // tfjs-node may be installed: scripts/setup-tfjs-node.sh, tested in node-backend.test.ts)
    await expect(useBackend('node-gpu')).rejects.toThrow(missingPackageMessage('node-gpu'));
    expect(tf.getBackend()).toBe('cpu');
  });

  it('reports a broken optional package differently from a missing one', async () => {
    await expect(
      useBackend('node', async () => {
        throw new Error('libtensorflow.so: cannot open shared object file');
      }),
    ).rejects.toThrow(/loading @tensorflow\/tfjs-node failed: libtensorflow\.so/);
  });

  it('says in one line what node-gpu needs when a CUDA library is missing', async () => {
    const dlopen = async () => {
      throw new Error(
        'libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions..node (node:internal/modules/cjs/loader:1460:18)',
      );
    };
    const err = await useBackend('node-gpu', dlopen).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^backend 'node-gpu': loading @tensorflow\/tfjs-node-gpu failed: libcudart\.so\.11\.0: cannot open shared object file: No such file or directory — .*CUDA and cuDNN.*--backend node$/,
    );
    expect(tf.getBackend()).toBe('cpu');
    // through the CLI: one line, exit 2
    const { main } = await import('../../src/cli/main.ts');
    const out: string[] = [];
    const errs: string[] = [];
    expect(
      await main(['check', '--backend', 'node-gpu', '--filter', 'exp', '--no-db', '--no-repro'], { out: (l) => out.push(l), err: (l) => errs.push(l) }),
    ).toBe(2);
    expect(errs[0]).toMatch(/^nanhunt: backend 'node-gpu' needs the optional package @tensorflow\/tfjs-node-gpu/);
  });

  it('selects the tfjs backend the optional package registers', async () => {
    expect(tfBackendName('node')).toBe('tensorflow');
    expect(tfBackendName('node-gpu')).toBe('tensorflow');
    // a present package that registers no backend: the selection fails with a clear message
    await expect(useBackend('node-gpu', async () => ({}))).rejects.toThrow(/backend 'node-gpu' failed to start/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects unknown backends', async () => {
    await expect(useBackend('tpu')).rejects.toThrow(/unknown backend 'tpu': use one of cpu, wasm, node, node-gpu, webgl, webgpu/);
  });

  it('says that a browser backend runs in Chromium, not in the Node process', async () => {
    await expect(useBackend('webgl')).rejects.toThrow(/backend 'webgl' runs in headless Chromium: use it through `nanhunt check --backend webgl`/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown backend in a differential run, and a missing optional one with its install message', async () => {
    await expect(prepareBackends(['cpu', 'tpu'])).rejects.toThrow(/unknown backend 'tpu'/);
    await expect(prepareBackends(['cpu', 'node-gpu'], notFound('@tensorflow/tfjs-node-gpu'))).rejects.toThrow(missingPackageMessage('node-gpu'));
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('an optional backend package that is present (simulated with the importer)', () => {
  // What tfjs-node does on import: register the 'tensorflow' backend. Here it is a fresh cpu
  // backend instance without kernels, so every op is "not registered for backend 'tensorflow'".
  const fakeTfjsNode: Importer = async (spec) => {
    expect(spec).toBe('@tensorflow/tfjs-node');
    if (!tf.engine().registryFactory.tensorflow) {
      const Cpu = tf.findBackend('cpu')!.constructor as new () => tf.KernelBackend;
      tf.registerBackend('tensorflow', () => new Cpu());
    }
    return {};
  };
  const exp = property({ name: 'node fixture: exp', inputs: { x: tensor({ elements: float32({ min: -5, max: 5 }) }) }, subject: ({ x }) => tf.exp(x) });

  it('is selected under our name (node) and its missing kernels are reported as unsupported on node', async () => {
    try {
      expect(await useBackend('node', fakeTfjsNode)).toBe('node');
      expect(tf.getBackend()).toBe('tensorflow');
      expect(activeBackend()).toBe('node');
      const r = runProperty(exp, { seed: 1, runs: 5 });
      expect(r).toMatchObject({ status: 'unsupported', backend: 'node', unsupported: { backend: 'node', kernel: 'Exp' } });
      await useBackend('cpu');
      const d = diffProperty(exp, { backends: ['cpu', 'node'], seed: 1, runs: 5 });
      expect(d).toMatchObject({ status: 'unsupported', unsupported: [{ backend: 'node', kernel: 'Exp' }] });
    } finally {
      await useBackend('cpu');
      tf.removeBackend('tensorflow');
    }
    expect(tf.getBackend()).toBe('cpu');
  });
});
