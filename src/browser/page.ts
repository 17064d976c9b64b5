/**
 * The page side of a browser backend: this module is bundled (with the property modules and
 * TensorFlow.js) and runs inside headless Chromium. The whole search of a property — generation,
 * the subject on the GPU backend, the invariants, the shrink, kernel recording — runs here on the
 * same engine as in Node, with the same seed; only the result crosses back, as text (wire.ts).
 *
 * Nothing here touches Node: the failure database, baselines, reports and repro scripts stay on
 * the Node side (session.ts), which asks for one property at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { isProperty, type Property } from '../property/property.ts';
import { checkOnceAsync, runProperty, runPropertyAsync, type PropertyResult, type RunOptions } from '../property/runner.ts';
import { replayFailure } from '../db/replay.ts';
import type { SavedFailure } from '../db/database.ts';
import { replayEntry } from '../gate/replay.ts';
import type { BaselineEntry } from '../gate/baseline.ts';
import { diffProperty, type DiffOptions } from '../diff/differential.ts';
import { prepareBackends } from '../diff/switch.ts';
import { useBackend } from '../run/backend.ts';
import { decode, encode } from './wire.ts';
import { CONTEXT_LOST, emulationFlags, type Emulation, type PageInfo } from './emulation.ts';

/** Whether the webgl backend's context is lost (Chromium's GPU process died or reset it). */
function contextLost(): boolean {
  const backend = tf.engine().registry.webgl as unknown as { gpgpu?: { gl?: { isContextLost(): boolean } } } | undefined;
  return backend?.gpgpu?.gl?.isContextLost() ?? false;
}

/** Run `fn` and throw {@link CONTEXT_LOST} when the WebGL context was lost before it returned. */
async function checked<T>(fn: () => T | Promise<T>): Promise<T> {
  if (contextLost()) throw new Error(CONTEXT_LOST);
  const out = await fn();
  if (contextLost()) throw new Error(CONTEXT_LOST);
  return out;
}

/** What the page exposes on `globalThis.__nanhunt` (every argument and result is wire text). */
export interface PageApi {
  setup(text: string): Promise<string>;
  run(name: string, options: string): Promise<string>;
  replay(name: string, entries: string): Promise<string>;
  diff(name: string, options: string): Promise<string>;
  /** `nanhunt replay` of a saved failure on the page's backend. */
  replayFailure(name: string, saved: string): Promise<string>;
  /** Call an exported function of the bundled module at `index` (bench/ runs measurements in the page with it). */
  call(index: number, exportName: string, args: string): Promise<string>;
}

interface Setup {
  /** Backends to initialize; the first is left active. */
  readonly backends: readonly string[];
  readonly emulation: Emulation;
}

/** A module's properties (named exports, arrays of properties, a CommonJS exports object). */
function propertiesOf(mod: Record<string, unknown>): Property[] {
  const values = Object.values(mod);
  const cjs = mod.default;
  if (typeof cjs === 'object' && cjs !== null && !Array.isArray(cjs) && !isProperty(cjs)) values.push(...Object.values(cjs));
  return values.flatMap((v) => (Array.isArray(v) ? v.filter(isProperty) : isProperty(v) ? [v] : []));
}

/** Register the API over the bundled property modules. */
export function install(modules: readonly Record<string, unknown>[]): void {
  const byName = new Map<string, Property>();
  for (const m of modules) for (const p of propertiesOf(m)) if (!byName.has(p.name)) byName.set(p.name, p);
  const find = (name: string): Property => {
    const p = byName.get(name);
    if (!p) throw new Error(`the page has no property named '${name}'`);
    return p;
  };
  const api: PageApi = {
    async setup(text) {
      const { backends, emulation } = decode<Setup>(text);
      const registered = (tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry;
      for (const [flag, value] of Object.entries(emulationFlags(emulation))) if (flag in registered) tf.env().set(flag, value);
      if (backends.length > 1) await prepareBackends(backends);
      else await useBackend(backends[0]!);
      if (backends.includes('webgpu')) guardSyncReads();
      const info: PageInfo = { tfjs: tf.version.tfjs, flags: readFlags(), userAgent: navigator.userAgent };
      return encode(info);
    },
    async run(name, options) {
      const p = find(name);
      const o = decode<RunOptions>(options);
      // WebGPU reads back only asynchronously: the engine's async runner, same seed, same cases
      return encode(await checked(() => (tf.getBackend() === 'webgpu' ? runPropertyAsync(p, o) : runProperty(p, o))));
    },
    async replay(name, entries) {
      const p = find(name);
      const list = decode<BaselineEntry[]>(entries);
      if (tf.getBackend() === 'webgpu')
        return encode(list.map(() => ({ kind: 'other', reason: 'saved cases are not replayed on webgpu (it reads back asynchronously)' })));
      return encode(await checked(() => list.map((e) => replayEntry(p, e))));
    },
    async diff(name, options) {
      return encode(await checked(() => diffProperty(find(name), decode<DiffOptions>(options))));
    },
    async replayFailure(name, saved) {
      const p = find(name);
      const s = decode<Pick<SavedFailure, 'inputs' | 'record'>>(saved);
      if (tf.getBackend() !== 'webgpu') return encode(await checked(() => replayFailure(p, s)));
      // webgpu reads back asynchronously: the case once, without kernel recording
      const started = performance.now();
      const { failure } = await checkOnceAsync(p, s.inputs);
      const isError = failure?.kind === 'error';
      const result: PropertyResult = {
        name: p.name,
        backend: 'webgpu',
        runs: 1,
        seed: s.record.seed,
        ...(s.record.path ? { path: s.record.path } : {}),
        shrinks: 0,
        interrupted: false,
        counterexample: s.inputs,
        status: failure ? (isError ? 'errored' : 'failed') : 'passed',
        expectedFailure: failure !== undefined && !isError && p.expectFailure !== undefined,
        durationMs: performance.now() - started,
        ...(failure ? { failure } : {}),
      };
      return encode(result);
    },
    async call(index, exportName, args) {
      const fn = modules[index]?.[exportName];
      if (typeof fn !== 'function') throw new Error(`the page's module ${index} exports no function '${exportName}'`);
      return encode(await (fn as (...a: unknown[]) => unknown)(...decode<unknown[]>(args)));
    },
  };
  (globalThis as { __nanhunt?: PageApi }).__nanhunt = api;
}

/**
 * On WebGPU a synchronous read (dataSync, arraySync) returns zeros and breaks the device for every
 * later case (tried here: Chromium 156, SwiftShader). Make it an error instead: a subject that reads
 * synchronously fails with a message that says why, and the page goes on working.
 */
function guardSyncReads(): void {
  const backend = tf.findBackend('webgpu') as unknown as {
    readSync?: (dataId: unknown) => unknown;
    tensorMap?: { get(id: unknown): { values?: unknown } | undefined };
  };
  if (!backend?.readSync) return;
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: unknown) => {
    // data already on the CPU reads fine; only a read from the GPU breaks the device
    if (backend.tensorMap?.get(dataId)?.values != null) return original(dataId);
    throw new Error('a synchronous read (dataSync, arraySync) on webgpu: it breaks the WebGPU device; read with await data() or leave reading to nanhunt');
  };
}

/** The backend flags in effect (the report says which emulation was on). */
function readFlags(): Record<string, boolean | number> {
  const out: Record<string, boolean | number> = {};
  const env = tf.env();
  const names = [
    'WEBGL_VERSION',
    'WEBGL_CPU_FORWARD',
    'WEBGL_PACK',
    'WEBGL_FORCE_F16_TEXTURES',
    'WEBGL_RENDER_FLOAT32_CAPABLE',
    'WEBGL_RENDER_FLOAT32_ENABLED',
    'WEBGPU_CPU_FORWARD',
  ];
  for (const n of names) {
    try {
      const v = env.get(n);
      if (typeof v === 'boolean' || typeof v === 'number') out[n] = v;
    } catch {
      // a flag of a backend that is not in the bundle
    }
  }
  return out;
}
