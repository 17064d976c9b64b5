/**
 * Switching between initialized backends inside one synchronous run.
 *
 * fast-check's predicate is synchronous, so differential runs switch backends with tfjs's
 * `setBackend` once per backend (it completes synchronously once a backend is initialized), then
 * a direct switch (see switchBackend for the measured costs). `prepareBackends` initializes every backend
 * first (loading wasm, or reporting a missing tfjs-node package) — an async step done once.
 * Tensors are never carried across a switch: each run materializes its inputs on the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendError, isBackendName, tfBackendName, useBackend, type BackendName, type Importer } from '../run/backend.ts';

/** Check the list (at least two distinct known backends), initialize each, and return to the first. */
export async function prepareBackends(names: readonly string[], importer?: Importer): Promise<BackendName[]> {
  checkBackendList(names);
  for (const n of [...names.slice(1), names[0]!]) await useBackend(n, importer);
  resetSwitching();
  return names as BackendName[];
}

/** Check a list of backends to compare: at least two, known names, no tfjs backend twice. Throws BackendError. */
export function checkBackendList(names: readonly string[]): asserts names is readonly BackendName[] {
  if (names.length < 2) throw new BackendError(`differential testing needs at least two backends, got ${names.length === 0 ? 'none' : names.join(', ')}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (!isBackendName(n)) throw new BackendError(`unknown backend '${n}': use one of ${BACKENDS.join(', ')}`);
    const tfName = tfBackendName(n);
    if (seen.has(tfName)) throw new BackendError(`backend '${n}' is listed twice (or runs on the same tfjs backend as another in the list)`);
    seen.add(tfName);
  }
}

interface EngineInternals {
  backendName: string | null;
  backendInstance: unknown;
  profiler: unknown;
  registry: Record<string, unknown>;
}

/** Per tfjs backend: the instance and profiler captured after its one full `setBackend`. */
const prepared = new Map<string, { instance: unknown; profiler: unknown }>();

function engine(): EngineInternals {
  return tf.engine() as unknown as EngineInternals;
}

/** Forget the fast-switch state: the next switch to each backend goes through `tf.setBackend`. */
export function resetSwitching(): void {
  prepared.clear();
}

/**
 * Make an initialized backend active, synchronously.
 *
 * `tf.setBackend` re-runs every kernel's setup and rebuilds the profiler on each call, which costs
 * about 0.15 ms (measured here: 155 us per switch between cpu and wasm, 130 us of it in
 * tf.getKernelsForBackend) — more than running a small op. Switching back and forth thousands of
 * times while shrinking, this dominated a differential run (31 s of 36 s on matMul). So the first
 * switch to a backend goes through `tf.setBackend`; later ones restore the engine's active backend,
 * instance and profiler directly (0.03 us). Kernels registered after that first switch keep their
 * setup from the original registration (wrappers such as kernel recording); a kernel with a new
 * `setupFunc` needs `resetSwitching()` (prepareBackends does it).
 */
export function switchBackend(name: BackendName): void {
  const tfName = tfBackendName(name);
  if (tf.getBackend() === tfName) return;
  const e = engine();
  const instance = e.registry[tfName];
  if (!instance) {
    throw new BackendError(`backend '${name}' is not initialized: await prepareBackends([...]) (or useBackend('${name}')) first`);
  }
  const p = prepared.get(tfName);
  if (p && p.instance === instance && typeof e.backendName === 'string') {
    e.backendName = tfName;
    e.backendInstance = instance;
    e.profiler = p.profiler;
  } else {
    void tf.setBackend(tfName);
    if (tf.getBackend() !== tfName) throw new BackendError(`could not switch to backend '${name}'`);
    prepared.set(tfName, { instance, profiler: e.profiler });
  }
  if (tf.backend() !== instance) throw new BackendError(`could not switch to backend '${name}'`);
}

/** Run `fn` on backend `name`, then return to the backend active before. */
export function onBackend<T>(name: BackendName, fn: () => T): T {
  const before = tf.getBackend();
  switchBackend(name);
  try {
    return fn();
  } finally {
    if (tf.getBackend() !== before) switchBackend(ourName(before));
  }
}

function ourName(tfName: string): BackendName {
  return (tfName === 'tensorflow' ? 'node' : tfName) as BackendName;
}

/** Return to a backend by its tfjs name (as `tf.getBackend()` gave it). */
export function restoreBackend(tfName: string): void {
  if (tf.getBackend() !== tfName) switchBackend(ourName(tfName));
}
