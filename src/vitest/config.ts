/**
 * Configuration of nanhunt's vitest helpers.
 *
 * Every setting is read, in this order: the test's own options, then the environment, then the
 * defaults.
 *
 * | setting  | option     | environment                  | default                                        |
 * |----------|------------|------------------------------|------------------------------------------------|
 * | runs     | `runs`     | `NANHUNT_RUNS`               | 100                                            |
 * | seed     | `seed`     | `NANHUNT_SEED` (N or random) | derived from the test's full name (global 0)   |
 * | backend  | `backend`  | `NANHUNT_BACKEND`            | the active tfjs backend (cpu in Node)          |
 * | database | `database` | `NANHUNT_DATABASE` (dir, 1)  | none (no failure database)                     |
 *
 * Seeds: a test's seed option is the exact fast-check seed (what a failure prints). The
 * environment seed is a global seed: each test runs with `propertySeed(global, fullName)`, so one
 * `NANHUNT_SEED` gives every test its own reproducible seed, as `nanhunt check --seed` does.
 * `NANHUNT_SEED=random` draws a fresh global seed per test and prints it.
 */
import { randomInt } from 'node:crypto';
import { BACKENDS, isBackendName, type BackendName } from '../run/backend.ts';
import { propertySeed } from '../property/runner.ts';
import { DEFAULT_DB_DIR } from '../db/database.ts';

export const DEFAULT_RUNS = 100;

/** Where a setting came from (printed in failure reports). */
export type Source = 'option' | 'env' | 'default';

/** Settings a test (numProp or a matcher) may give. */
export interface ConfigOptions {
  /** Generated cases (default NANHUNT_RUNS, else 100). */
  runs?: number;
  /** The exact fast-check seed, or 'random'. Default: derived from NANHUNT_SEED and the test's full name. */
  seed?: number | 'random';
  /** Backend to run on (numProp only; matchers use the active backend). Default NANHUNT_BACKEND, else the active one. */
  backend?: BackendName;
  /** Failure-database directory, true for .nanhunt/failures, false for none. Default NANHUNT_DATABASE, else none. */
  database?: string | boolean;
}

export interface ResolvedConfig {
  readonly runs: number;
  readonly runsFrom: Source;
  /** The fast-check seed this test runs with. */
  readonly seed: number;
  readonly seedFrom: Source;
  /** The global seed the test seed was derived from (env/default sources only). */
  readonly globalSeed?: number;
  /** The seed was drawn at random: print it whatever the outcome. */
  readonly random: boolean;
  readonly backend?: BackendName;
  readonly backendFrom: Source;
  readonly database?: string;
  readonly databaseFrom: Source;
}

export class ConfigError extends Error {
  override name = 'NanhuntConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function parseRuns(text: string, where: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`${where} must be a positive integer, got '${text}'`);
  }
  return n;
}

function parseSeed(text: string, where: string): number | 'random' {
  if (text.toLowerCase() === 'random') return 'random';
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new ConfigError(`${where} must be an integer or 'random', got '${text}'`);
  }
  return n | 0;
}

/** A random 32-bit seed. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}

/**
 * Resolve the settings of one test. `name` is the test's full name (suites > test), from which
 * the default seed is derived.
 */
export function resolveConfig(name: string, options: ConfigOptions = {}, env: Env = process.env): ResolvedConfig {
  // runs
  let runs: number;
  let runsFrom: Source;
  if (options.runs !== undefined) {
    if (!Number.isInteger(options.runs) || options.runs < 1) throw new ConfigError(`runs must be a positive integer, got ${options.runs}`);
    runs = options.runs;
    runsFrom = 'option';
  } else if (nonEmpty(env.NANHUNT_RUNS)) {
    runs = parseRuns(nonEmpty(env.NANHUNT_RUNS)!, 'NANHUNT_RUNS');
    runsFrom = 'env';
  } else {
    runs = DEFAULT_RUNS;
    runsFrom = 'default';
  }

  // seed
  let seed: number;
  let seedFrom: Source;
  let globalSeed: number | undefined;
  let random = false;
  if (options.seed !== undefined) {
    seedFrom = 'option';
    if (options.seed === 'random') {
      seed = randomSeed();
      random = true;
    } else if (Number.isInteger(options.seed)) seed = options.seed | 0;
    else throw new ConfigError(`seed must be an integer or 'random', got ${String(options.seed)}`);
  } else {
    const fromEnv = nonEmpty(env.NANHUNT_SEED);
    const parsed = fromEnv === undefined ? 0 : parseSeed(fromEnv, 'NANHUNT_SEED');
    seedFrom = fromEnv === undefined ? 'default' : 'env';
    if (parsed === 'random') {
      globalSeed = randomSeed();
      random = true;
    } else globalSeed = parsed;
    seed = propertySeed(globalSeed, name);
  }

  // backend
  let backend: BackendName | undefined;
  let backendFrom: Source = 'default';
  const envBackend = nonEmpty(env.NANHUNT_BACKEND);
  if (options.backend !== undefined) {
    if (!isBackendName(options.backend)) throw new ConfigError(`unknown backend '${String(options.backend)}': use one of ${BACKENDS.join(', ')}`);
    backend = options.backend;
    backendFrom = 'option';
  } else if (envBackend) {
    if (!isBackendName(envBackend)) throw new ConfigError(`NANHUNT_BACKEND: unknown backend '${envBackend}': use one of ${BACKENDS.join(', ')}`);
    backend = envBackend;
    backendFrom = 'env';
  }

  // failure database
  let database: string | undefined;
  let databaseFrom: Source = 'default';
  if (options.database !== undefined) {
    databaseFrom = 'option';
    if (options.database === true) database = DEFAULT_DB_DIR;
    else if (options.database !== false) {
      if (typeof options.database !== 'string' || options.database === '') throw new ConfigError('database must be a directory path, true or false');
      database = options.database;
    }
  } else if (nonEmpty(env.NANHUNT_DATABASE)) {
    const text = nonEmpty(env.NANHUNT_DATABASE)!;
    databaseFrom = 'env';
    if (/^(1|true|on|yes)$/i.test(text)) database = DEFAULT_DB_DIR;
    else if (!/^(0|false|off|no)$/i.test(text)) database = text;
  }

  return {
    runs,
    runsFrom,
    seed,
    seedFrom,
    ...(globalSeed === undefined ? {} : { globalSeed }),
    random,
    ...(backend ? { backend } : {}),
    backendFrom,
    ...(database ? { database } : {}),
    databaseFrom,
  };
}

/** One line saying which seed ran and how to get it again. */
export function seedLine(c: ResolvedConfig): string {
  if (c.seedFrom === 'option') return `nanhunt seed ${c.seed}${c.random ? " (seed: 'random')" : ''}`;
  const how = c.seedFrom === 'env' ? (c.random ? 'NANHUNT_SEED=random' : `NANHUNT_SEED=${c.globalSeed}`) : 'default';
  return `nanhunt seed ${c.seed} (global seed ${c.globalSeed}, ${how})`;
}
