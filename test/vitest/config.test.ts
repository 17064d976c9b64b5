// resolveConfig: the test's options, then NANHUNT_* variables, then defaults; bad values say what is allowed.
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, seedLine } from '../../src/vitest/config.ts';
import { propertySeed } from '../../src/property/runner.ts';

describe('resolveConfig', () => {
  it('falls back from options to the environment to the defaults', () => {
    expect(resolveConfig('t', {}, {})).toMatchObject({
      runs: 100,
      runsFrom: 'default',
      seed: propertySeed(0, 't'),
      seedFrom: 'default',
      backendFrom: 'default',
    });
    const env = { NANHUNT_RUNS: '7', NANHUNT_SEED: '5', NANHUNT_BACKEND: 'wasm', NANHUNT_DATABASE: 'db' };
    expect(resolveConfig('t', {}, env)).toMatchObject({ runs: 7, runsFrom: 'env', seed: propertySeed(5, 't'), globalSeed: 5, backend: 'wasm', database: 'db' });
    expect(resolveConfig('t', { runs: 3, seed: 9, backend: 'cpu', database: false }, env)).toMatchObject({
      runs: 3,
      runsFrom: 'option',
      seed: 9,
      seedFrom: 'option',
      backend: 'cpu',
      databaseFrom: 'option',
    });
    expect(resolveConfig('t', { database: false }, env).database).toBeUndefined();
  });

  it('reads NANHUNT_DATABASE=1 and database: true as the default directory, 0 as none', () => {
    expect(resolveConfig('t', {}, { NANHUNT_DATABASE: '1' }).database).toBe('.nanhunt/failures');
    expect(resolveConfig('t', { database: true }, {}).database).toBe('.nanhunt/failures');
    expect(resolveConfig('t', {}, { NANHUNT_DATABASE: 'off' }).database).toBeUndefined();
  });

  it('draws a random global seed for NANHUNT_SEED=random and says so', () => {
    const c = resolveConfig('name', {}, { NANHUNT_SEED: 'random' });
    expect(c.random).toBe(true);
    expect(c.seed).toBe(propertySeed(c.globalSeed!, 'name'));
    expect(seedLine(c)).toBe(`nanhunt seed ${c.seed} (global seed ${c.globalSeed}, NANHUNT_SEED=random)`);
  });

  it('rejects bad values with a message naming the variable', () => {
    expect(() => resolveConfig('t', {}, { NANHUNT_RUNS: 'lots' })).toThrow(new ConfigError("NANHUNT_RUNS must be a positive integer, got 'lots'"));
    expect(() => resolveConfig('t', {}, { NANHUNT_RUNS: '0' })).toThrow(ConfigError);
    expect(() => resolveConfig('t', {}, { NANHUNT_SEED: '1.5' })).toThrow("NANHUNT_SEED must be an integer or 'random', got '1.5'");
    expect(() => resolveConfig('t', {}, { NANHUNT_BACKEND: 'gpu' })).toThrow("NANHUNT_BACKEND: unknown backend 'gpu': use one of cpu, wasm, node, node-gpu");
    expect(() => resolveConfig('t', { runs: 0 }, {})).toThrow('runs must be a positive integer, got 0');
  });
});
