/**
 * Backends under vitest. numProp selects its backend itself (options, NANHUNT_BACKEND, else the
 * active one). The matchers are synchronous and run on the active backend: importing
 * 'nanhunt/vitest' registers a beforeAll that selects NANHUNT_BACKEND for the importing file.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';
import { activeBackend, isBackendName, useBackend, type BackendName } from '../run/backend.ts';

/** Make `backend` active (or keep the active one, silencing the cpu banner); returns the previous tfjs backend if it changed. */
export async function applyBackend(backend: BackendName | undefined): Promise<string | undefined> {
  await tf.ready();
  const before = tf.getBackend();
  if (backend) {
    await useBackend(backend);
    return tf.getBackend() === before ? undefined : before;
  }
  if (before === 'cpu') await useBackend('cpu');
  return undefined;
}

/** Go back to a tfjs backend that applyBackend replaced. */
export async function restoreTestBackend(previous: string | undefined): Promise<void> {
  if (previous === undefined) return;
  const ours = previous === 'tensorflow' ? 'node' : previous;
  if (isBackendName(ours)) await useBackend(ours);
  else await tf.setBackend(previous);
}

/** When NANHUNT_BACKEND is set, select it before the tests of the file being collected. */
export function registerBackendHook(env: Readonly<Record<string, string | undefined>> = process.env): void {
  const name = env.NANHUNT_BACKEND?.trim();
  if (!name) return;
  try {
    beforeAll(async () => {
      await useBackend(name);
    });
  } catch {
    // imported outside a vitest file collection (a plain script): nothing to hook into
  }
}

/** Why a matcher cannot run: NANHUNT_BACKEND names a backend that is not the active one. */
export function backendMismatch(wanted: BackendName | undefined): string | undefined {
  if (!wanted) return undefined;
  const active = activeBackend();
  if (active === wanted) return undefined;
  return (
    `NANHUNT_BACKEND=${wanted} but the active backend is ${active}: nanhunt's matchers run on the active backend. ` +
    `Import 'nanhunt/vitest' in this test file (it selects NANHUNT_BACKEND in a beforeAll), or call useBackend('${wanted}') in a beforeAll.`
  );
}
