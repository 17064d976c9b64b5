/**
 * `nanhunt check`: run properties on a backend, print a line per property, the failure reports,
 * and a closing `N passed, N failed` line. Exit 0 when nothing unexpected failed, 1 otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend, BackendError } from '../run/backend.ts';
import { runProperty, propertySeed, type PropertyResult } from '../property/runner.ts';
import { failureReport, summaryLine } from '../report/format.ts';
import { resultsDocument, writeFileAtomic } from '../report/json.ts';
import { parseArgs, UsageError } from './args.ts';
import { CATALOG_DIR, loadProperties, selectProperties } from './load.ts';
import { VERSION } from './version.ts';

export const CHECK_FLAGS = {
  backend: 'string',
  seed: 'int',
  runs: 'int',
  filter: 'string',
  json: 'string',
  path: 'string',
  properties: 'string',
} as const;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export async function checkCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, CHECK_FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const seed = (flags.seed as number | undefined) ?? 0;
  if (seed < -(2 ** 31) || seed >= 2 ** 31) throw new UsageError('--seed must fit in 32 bits');
  const runs = flags.runs as number | undefined;
  if (runs !== undefined && runs < 1) throw new UsageError('--runs must be at least 1');
  const backendName = (flags.backend as string | undefined) ?? 'cpu';
  const propertiesArg = flags.properties as string | undefined;
  const all = await loadProperties(propertiesArg ?? CATALOG_DIR);
  const selected = selectProperties(all, flags.filter as string | undefined);
  if (selected.length === 0) {
    throw new UsageError(
      all.length === 0 ? `no properties found in ${propertiesArg ?? CATALOG_DIR}` : `no property matches --filter '${flags.filter}'`,
    );
  }
  if (flags.path !== undefined && selected.length !== 1) {
    throw new UsageError(`--path replays one property, but ${selected.length} match: give --filter the exact name`);
  }
  try {
    await useBackend(backendName);
  } catch (e) {
    if (e instanceof BackendError) throw new UsageError(e.message);
    throw e;
  }
  io.out(`nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · backend ${backendName} · seed ${seed} · ${selected.length} properties`);
  const results: PropertyResult[] = [];
  for (const p of selected) {
    const r = runProperty(p, {
      seed: propertySeed(seed, p.name),
      ...(runs !== undefined ? { runs } : {}),
      ...(flags.path !== undefined ? { path: flags.path as string } : {}),
    });
    results.push(r);
    io.out(summaryLine(r));
  }
  const unexpected = results.filter((r) => r.status !== 'passed' && !r.expectedFailure);
  for (const r of results.filter((x) => x.status !== 'passed')) {
    io.out('');
    io.out(failureReport(r, { globalSeed: seed, ...(propertiesArg ? { propertiesArg } : {}) }));
  }
  if (flags.json !== undefined) {
    const doc = resultsDocument({ nanhunt: VERSION, tfjs: tf.version.tfjs, backend: backendName, seed, ...(runs ? { runs } : {}) }, results);
    writeFileAtomic(flags.json as string, JSON.stringify(doc, null, 2) + '\n');
  }
  const passed = results.length - unexpected.length;
  const expected = results.filter((r) => r.expectedFailure).length;
  io.out('');
  if (expected > 0) io.out(`${expected} expected failure${expected === 1 ? '' : 's'} (shipped examples of bugs) counted as passed`);
  io.out(`${passed} passed, ${unexpected.length} failed`);
  return unexpected.length > 0 ? 1 : 0;
}
