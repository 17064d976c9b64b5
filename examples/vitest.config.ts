// Run the examples: npx vitest run --config examples/vitest.config.ts
// One test fails on purpose: the naive BCE in custom-loss.spec.ts, to show what a finding looks like.
import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // 'nanhunt' resolves to the repository's TypeScript sources (the `nanhunt-source` export condition),
  // not to the compiled dist/ a user gets
  ssr: { resolve: { conditions: ['nanhunt-source', ...defaultServerConditions] } },
  test: {
    include: ['**/*.spec.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
