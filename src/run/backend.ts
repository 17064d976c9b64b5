/**
 * Backends: pick the TensorFlow.js backend properties run on.
 *
 * cpu and wasm ship with nanhunt. tfjs-node and tfjs-node-gpu are optional peer dependencies,
 * imported only when asked for; when missing, the error says how to install them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.ts';

export const BACKENDS = ['cpu', 'wasm', 'node', 'node-gpu', 'webgl', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Backends that run in headless Chromium (src/browser): the properties run inside the page. */
export const BROWSER_BACKENDS = ['webgl', 'webgpu'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];

export function isBrowserBackend(x: string): x is BrowserBackendName {
  return (BROWSER_BACKENDS as readonly string[]).includes(x);
}

/** True inside a web page (where src/browser's page runs the properties), false in Node. */
function inBrowser(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== 'undefined';
}

/** Raised when a backend cannot be used (unknown name, missing package, failed init). */
export class BackendError extends InputError {
  override name = 'BackendError';
  override readonly showUsage: boolean = true;
}

export function isBackendName(x: string): x is BackendName {
  return (BACKENDS as readonly string[]).includes(x);
}

/** tfjs's registered name for each of our backend names. */
export function tfBackendName(name: BackendName): string {
  return name === 'node' || name === 'node-gpu' ? 'tensorflow' : name;
}

const PEER: Partial<Record<BackendName, string>> = {
  node: '@tensorflow/tfjs-node',
  'node-gpu': '@tensorflow/tfjs-node-gpu',
};

/** How modules are imported; replaced in tests to simulate a missing or present package. */
export type Importer = (specifier: string) => Promise<unknown>;
const defaultImporter: Importer = (specifier) => import(specifier);

function isModuleNotFound(e: unknown, specifier: string): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') return true;
  const msg = typeof err?.message === 'string' ? err.message : '';
  // Node: "Cannot find package 'x'" / "Cannot find module 'x'"; vite (vitest): 'Could not resolve "x"'
  return [`Cannot find package '${specifier}'`, `Cannot find module '${specifier}'`, `Could not resolve "${specifier}"`].some((m) => msg.includes(m));
}

/** The message for a missing optional backend package. */
export function missingPackageMessage(name: BackendName): string {
  const pkg = PEER[name]!;
  return (
    `backend '${name}' needs the optional package ${pkg}, which is not installed. ` +
    `Install it with: npm install ${pkg}@${tf.version.tfjs} ` +
    `(its install script downloads libtensorflow, so it needs network access; offline, build it from the TensorFlow wheel: see nanhunt's docs/backends-and-diff.md).`
  );
}

/**
 * One line for an optional backend package that is installed but does not load: the first line of
 * the loader's error, and for node-gpu what the GPU build needs when a CUDA library is missing.
 */
export function loadFailureMessage(name: BackendName, pkg: string, e: unknown): string {
  const first =
    String((e as Error)?.message ?? e)
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? 'unknown error';
  const cuda = /\b(libcu\w*|libcudnn\w*|cuda\w*|nvcuda|cudart)\b/i.test(first);
  const hint =
    name === 'node-gpu' && cuda
      ? ' — @tensorflow/tfjs-node-gpu needs an NVIDIA GPU with the CUDA and cuDNN libraries its TensorFlow build was made for on the library path; without them use --backend node'
      : '';
  return `backend '${name}': loading ${pkg} failed: ${first}${hint}`;
}

let wasmReady = false;

async function loadWasm(importer: Importer): Promise<void> {
  if (wasmReady) return;
  const wasm = (await importer('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths(p: string): void };
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
  wasmReady = true;
}

function silenceCpuBanner(): void {
  // The cpu backend prints a "install tfjs-node" banner on its first write; it has no place in reports.
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (tf.getBackend() === 'cpu' && backend && 'firstUse' in backend) backend.firstUse = false;
}

/**
 * Make `name` the active backend, loading its package when needed.
 * Throws a BackendError with an actionable message when that is impossible.
 */
export async function useBackend(name: string, importer: Importer = defaultImporter): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new BackendError(`unknown backend '${name}': use one of ${BACKENDS.join(', ')}`);
  }
  if (isBrowserBackend(name) && !inBrowser()) {
    throw new BackendError(
      `backend '${name}' runs in headless Chromium: use it through \`nanhunt check --backend ${name}\` or \`nanhunt diff\` (src/browser), not in this Node process`,
    );
  }
  const peer = PEER[name];
  if (peer) {
    // TensorFlow's C++ info lines (CPU features, ...) go straight to stderr: off unless the user set a level.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    try {
      await importer(peer);
    } catch (e) {
      if (isModuleNotFound(e, peer)) throw new BackendError(missingPackageMessage(name));
      throw new BackendError(loadFailureMessage(name, peer, e));
    }
  } else if (name === 'wasm') {
    await loadWasm(importer);
  }
  const tfName = tfBackendName(name);
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (e) {
    throw new BackendError(`backend '${name}' failed to start: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== tfName) throw new BackendError(`backend '${name}' failed to start (tf.setBackend('${tfName}') returned false)`);
  await tf.ready();
  silenceCpuBanner();
  return name;
}

/** Our name for the active backend. */
export function activeBackend(): BackendName | string {
  const b = tf.getBackend();
  return b === 'tensorflow' ? 'node' : b;
}

/**
 * Backends whose kernels compute an element differently by where it sits in the tensor: TensorFlow's
 * CPU kernels (Eigen) take SIMD packets for the bulk of a tensor and scalar code for its last
 * elements, which round differently (exp, log, sigmoid, sin, reciprocal, ...) and treat subnormals
 * differently (log of a subnormal: -Infinity in a packet, -103.97 in the tail). Measured on 4,000
 * values of 19 unary ops, 7 elements at a time against all at once (tfjs 4.22, 2026-12-03): node
 * differs in 13 ops, in up to 41% of the values; cpu and wasm in none.
 */
const POSITION_DEPENDENT: ReadonlySet<string> = new Set(['node', 'node-gpu']);

/**
 * Whether a case batched with others (src/property/batch.ts: concatenated or stacked) computes on
 * `backend` exactly as it does alone. False where kernels depend on the position of an element
 * (POSITION_DEPENDENT): batched screening cannot stand for a case there, so cases run one by one.
 */
export function batchesExactly(backend: string): boolean {
  return !POSITION_DEPENDENT.has(backend);
}

/** An op the active backend does not implement: tfjs has no kernel for it there. */
export interface Unsupported {
  /** Our name for the backend (`node` for tfjs's `tensorflow`). */
  readonly backend: string;
  /** The tfjs kernel that is missing, e.g. `Einsum`. */
  readonly kernel: string;
  /** The error message as tfjs gave it. */
  readonly message: string;
}

const NOT_REGISTERED = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/**
 * Classify an error message: `Kernel 'X' not registered for backend 'Y'` (what tfjs throws when a
 * backend lacks an op) means the op is unsupported there, which is not a failure of the subject.
 */
export function unsupportedKernel(message: string): Unsupported | undefined {
  const m = NOT_REGISTERED.exec(message);
  if (!m) return undefined;
  const backend = m[2] === 'tensorflow' ? 'node' : m[2]!;
  return { backend, kernel: m[1]!, message: m[0] };
}

/** Kernels registered for `a` but not for `b` (tfjs backend names), sorted: ops `b` cannot run. */
export function missingKernels(a: string, b: string): string[] {
  const has = new Set(tf.getKernelsForBackend(b).map((k) => k.kernelName));
  return tf
    .getKernelsForBackend(a)
    .map((k) => k.kernelName)
    .filter((k) => !has.has(k))
    .sort();
}

/** `unsupported on wasm: no kernel 'Einsum'` — the one-line form used in reports. */
export function describeUnsupported(u: Unsupported): string {
  return `unsupported on ${u.backend}: no kernel '${u.kernel}'`;
}
