/**
 * `nanhunt train-repro`: run one training property, print its minimal configuration (layer table,
 * hyperparameters, the minimal run step by step) and write a standalone repro script for it.
 */
import path from 'node:path';
import { parseArgs, UsageError } from './args.ts';
import { loadCatalog, loadProperties } from '../property/load.ts';
import { selectProperties } from './select.ts';
import type { Io } from './check.ts';
import { propertySeed, runProperty } from '../property/runner.ts';
import { useBackend } from '../run/backend.ts';
import { isTrainingConfig } from '../train/config.ts';
import { trainingReport } from '../train/report.ts';
import { writeTrainingRepro } from '../train/repro.ts';
import { reproCommand } from '../report/repro.ts';

const FLAGS = { filter: 'string', seed: 'int', path: 'string', properties: 'string', out: 'string', backend: 'string' } as const;

export const TRAIN_REPRO_USAGE = `  --filter <name>     the training property (its name, or a unique part of it)
  --seed <n>          global seed, as given to check (default 0)
  --path <path>       fast-check path of the failure, as printed by check (default: search again)
  --properties <dir>  load properties from this file or directory instead of the catalog
  --out <file>        where to write the script (default reports/repro/<name>.training.mjs)
  --backend <name>    backend to run on (default cpu)`;

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'training'
  );
}

export async function trainReproCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (flags.filter === undefined) throw new UsageError('train-repro needs --filter <name of a training property>');
  const seed = flags.seed ?? 0;
  const all = flags.properties === undefined ? await loadCatalog() : await loadProperties(flags.properties);
  const selected = selectProperties(all, flags.filter);
  if (selected.length !== 1) {
    throw new UsageError(
      selected.length === 0
        ? `no property matches --filter '${flags.filter}'`
        : `--filter '${flags.filter}' matches ${selected.length} properties: give the exact name`,
    );
  }
  const p = selected[0]!.property;
  await useBackend(flags.backend ?? 'cpu');
  const r = runProperty(p, { seed: propertySeed(seed, p.name), ...(flags.path !== undefined ? { path: flags.path } : {}) });
  if (r.status === 'passed') {
    io.out(`'${p.name}' passed (${r.runs} run${r.runs === 1 ? '' : 's'}): no failure to write a repro for`);
    return 0;
  }
  if (!isTrainingConfig(r.counterexample)) {
    io.out(`'${p.name}' ${r.status}, but it is not a training property: use npx nanhunt check --repro <dir>`);
    return 1;
  }
  io.out(trainingReport(r));
  const out = flags.out ?? path.join('reports', 'repro', `${slug(p.name)}.training.mjs`);
  const file = writeTrainingRepro(out, r.counterexample, { title: p.name });
  io.out('');
  io.out(`repro: ${reproCommand(file)}`);
  return 1;
}

export const TRAIN_REPRO_COMMAND = {
  summary: 'run one training property and write a standalone script of its minimal diverging configuration',
  usage: TRAIN_REPRO_USAGE,
  run: trainReproCommand,
};
