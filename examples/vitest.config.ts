// Run the examples: npx vitest run --config examples/vitest.config.ts
// One test fails on purpose: the naive BCE in custom-loss.spec.ts, to show what a finding looks like.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['**/*.spec.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
