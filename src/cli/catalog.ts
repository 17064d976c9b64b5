/**
 * `nanhunt catalog`: the catalog's coverage table, measured. Every property of every catalog
 * entry runs once with kernel recording (src/catalog/coverage.ts); each kernel the cpu backend
 * registers and each function of tf.losses and tf.train is then covered (by which entries, value
 * and gradient), excluded with a reason (properties/coverage.ts), or a problem. Exit 0 when every
 * kernel and function is classified, 1 when there are problems (listed), 2 on bad usage.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { parseArgs, seedAndRuns, UsageError } from './args.ts';
import type { Command } from './main.ts';
import type { Io } from './check.ts';
import { CATALOG_DIR, CATALOG_MODULE, LoadError } from '../property/load.ts';
import { useBackend } from '../run/backend.ts';
import { catalogCoverage, formatCoverage, type CoverageData, type CoverageReport } from '../catalog/coverage.ts';
import type { OpInfo } from '../catalog/op-info.ts';
import { VERSION } from '../core/version.ts';

const FLAGS = { json: 'boolean', seed: 'int' } as const;

/** nanhunt's coverage exclusions, beside the catalog. */
export const COVERAGE_MODULE = path.join(CATALOG_DIR, 'coverage.ts');

export const CATALOG_USAGE = `  --json              print the table as JSON (kernels, functions, totals, problems)
  --seed <n>          which generated case each property runs on (default 0)`;

/** The catalog's entries and coverage data, loaded from properties/ (src/catalog never imports them). */
export async function loadCoverageInputs(): Promise<{ table: readonly OpInfo[]; data: CoverageData }> {
  const load = async (file: string): Promise<Record<string, unknown>> => {
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new LoadError(`cannot load ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const table = (await load(CATALOG_MODULE)).OP_TABLE;
  const data = (await load(COVERAGE_MODULE)).COVERAGE;
  if (!Array.isArray(table)) throw new LoadError(`${CATALOG_MODULE} exports no OP_TABLE array`);
  if (typeof data !== 'object' || data === null) throw new LoadError(`${COVERAGE_MODULE} exports no COVERAGE object`);
  return { table: table as OpInfo[], data: data as CoverageData };
}

/** The machine-readable form. */
export function coverageDocument(report: CoverageReport, seed: number) {
  return {
    nanhunt: VERSION,
    tfjs: tf.version.tfjs,
    backend: report.backend,
    seed,
    totals: report.totals,
    kernels: report.rows.filter((r) => r.kind === 'kernel'),
    functions: report.rows.filter((r) => r.kind === 'function'),
    problems: report.problems,
  };
}

export async function catalogCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const { seed } = seedAndRuns(flags);
  const { table, data } = await loadCoverageInputs();
  await useBackend('cpu');
  const report = catalogCoverage(table, data, { seed });
  if (flags.json) io.out(JSON.stringify(coverageDocument(report, seed), null, 2));
  else for (const line of formatCoverage(report)) io.out(line);
  return report.problems.length === 0 ? 0 : 1;
}

export const CATALOG_COMMAND: Command = {
  summary: "print the catalog's coverage: each cpu kernel and tf.losses/tf.train function, covered by which entries or excluded and why",
  usage: CATALOG_USAGE,
  run: catalogCommand,
};
