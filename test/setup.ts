// Every test file starts on the cpu backend with the "install tfjs-node" banner silenced.
import { beforeAll } from 'vitest';
import { useBackend } from '../src/run/backend.ts';

beforeAll(async () => {
  await useBackend('cpu');
});
