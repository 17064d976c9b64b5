import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // 'nanhunt' (a self-reference) resolves to the TypeScript sources, not to the compiled dist/
  ssr: { resolve: { conditions: ['nanhunt-source', ...defaultServerConditions] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Both cores (vitest's default leaves one idle on a 2-core machine): most slow tests wait on a
    // child process (the CLI, a repro script, Chromium), so two files at a time overlap well.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
    // fails the run when a test wrote into the repository's reports/ or .nanhunt/
    globalSetup: ['test/global-setup.ts'],
    // The failure database is on by default for `nanhunt check`; tests that exercise it pass
    // their own directory, the rest must not replay cases saved by earlier test runs.
    env: { NANHUNT_DATABASE: 'off' },
  },
});
