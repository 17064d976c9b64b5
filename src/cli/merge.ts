/**
 * `nanhunt merge <report.json...>`: the reports of a CI matrix's `check --shard k/n` runs, combined
 * into one nanhunt.json, junit.xml and index.html with the gate verdict of the whole (exit code as
 * `check` gives it: 0, or 1 on a new finding).
 *
 * A shard's nanhunt.json carries a `shard` section (check-session.ts): its place in the matrix, the
 * position of each of its properties in the unsharded selection, and — as wire data, nothing lost —
 * its results, the baseline it gated on and what replaying that baseline's saved cases showed. Each
 * property and each replayed baseline entry belongs to exactly one shard, so the merged gate is
 * evaluated exactly as a one-shot run evaluates it, and the merged reports are those of a one-shot
 * run apart from timings.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from './main.ts';
import type { Io } from './check.ts';
import { parseArgs, UsageError } from './args.ts';
import { CheckSession, SESSION_USAGE_MERGE, type ShardData } from './check-session.ts';
import { InputError } from '../core/errors.ts';
import { decode } from '../browser/wire.ts';
import type { PropertyResult } from '../property/runner.ts';
import type { RunInfo } from '../report/json.ts';
import type { BaselineEntry } from '../gate/baseline.ts';
import type { CaseReplay } from '../gate/replay.ts';
import { plural } from '../report/format.ts';
import { VERSION } from '../core/version.ts';
import { trainingInputFormatter } from '../train/report.ts';
import { captureInputFormatter } from '../guard/report.ts';

const MERGE_FLAGS = { reports: 'string', json: 'string', quiet: 'boolean', verbose: 'boolean' } as const;

interface ShardReport {
  readonly file: string;
  readonly info: RunInfo;
  readonly index: number;
  readonly count: number;
  readonly positions: readonly number[];
  readonly data: ShardData;
}

/** Read one shard's report; anything else is an input error naming the file (exit 2). */
function readShard(file: string, cwd: string): ShardReport {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const shard = doc.shard as { index?: unknown; count?: unknown; positions?: unknown; data?: unknown } | undefined;
  if (typeof shard !== 'object' || shard === null || typeof shard.index !== 'number' || typeof shard.count !== 'number' || !Array.isArray(shard.positions)) {
    throw new InputError(`${file} is not the report of a shard (write it with nanhunt check --shard k/n)`);
  }
  const { nanhunt, tfjs, backend, seed, runs, timeBudgetMs, browser } = doc as unknown as RunInfo;
  const info: RunInfo = {
    nanhunt,
    tfjs,
    backend,
    seed,
    ...(runs !== undefined ? { runs } : {}),
    ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}),
    ...(browser !== undefined ? { browser } : {}),
  };
  let data: ShardData;
  try {
    data = decode<ShardData>(JSON.stringify(shard.data));
  } catch (e) {
    throw new InputError(`${file}: its shard data cannot be read: ${(e as Error).message}`);
  }
  if (!Array.isArray(data?.results) || data.results.length !== shard.positions.length) throw new InputError(`${file}: its shard data is incomplete`);
  return { file, info, index: shard.index, count: shard.count, positions: shard.positions as number[], data };
}

/** The same run: nanhunt, tfjs, backend, seed, runs, time budget, browser, baseline and --strict; else an input error. */
function checkSameRun(shards: readonly ShardReport[]): void {
  const first = shards[0]!;
  const what = (s: ShardReport) => ({
    ...s.info,
    count: s.count,
    baseline: s.data.baseline ?? null,
    strict: s.data.strict,
    propertiesArg: s.data.propertiesArg ?? null,
  });
  const a = what(first);
  for (const s of shards.slice(1)) {
    const b = what(s);
    for (const key of Object.keys({ ...a, ...b }) as (keyof typeof a)[]) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        const shown = (x: unknown) => (key === 'baseline' ? 'another baseline' : JSON.stringify(x));
        throw new InputError(`${first.file} and ${s.file} are not shards of the same run: ${key} ${shown(a[key])} vs ${shown(b[key])}`);
      }
    }
  }
  const byIndex = new Map<number, string>();
  for (const s of shards) {
    const other = byIndex.get(s.index);
    if (other !== undefined) throw new InputError(`shard ${s.index}/${s.count} is given twice (${other} and ${s.file})`);
    byIndex.set(s.index, s.file);
  }
  const missing = Array.from({ length: first.count }, (_, i) => i + 1).filter((k) => !byIndex.has(k));
  if (missing.length > 0) throw new InputError(`missing ${missing.map((k) => `shard ${k}/${first.count}`).join(', ')}: merge needs every shard's report`);
}

export async function mergeCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, MERGE_FLAGS);
  if (positional.length === 0) throw new UsageError("merge needs the shards' report files (nanhunt.json of each check --shard run)");
  const cwd = process.cwd();
  const shards = positional.map((f) => readShard(f, cwd));
  checkSameRun(shards);

  // every property in its place in the unsharded selection
  const placed = shards.flatMap((s) => s.data.results.map((r, i) => ({ r, at: s.positions[i]! })));
  placed.sort((x, y) => x.at - y.at);
  const results: PropertyResult[] = placed.map((x) => x.r);

  // the baseline the shards gated on, and each entry's replay from the shard where its property ran
  const { baseline, strict, propertiesArg } = shards[0]!.data;
  const replays = new Map<BaselineEntry, CaseReplay>();
  if (baseline) for (const s of shards) for (const [i, replay] of s.data.replays) replays.set(baseline.entries[i]!, replay);

  const session = CheckSession.merged(io, { ...flags, ...(strict ? { strict } : {}) }, baseline);
  const info = shards[0]!.info;
  session.header(
    `nanhunt ${VERSION} · merge of ${plural(shards.length, 'shard')} (ran nanhunt ${info.nanhunt} · tfjs ${info.tfjs} · backend ${info.backend} · seed ${info.seed}) · ${plural(results.length, 'property', 'properties')}`,
  );
  for (const r of results) session.done(r);
  return session.finish(
    results,
    info,
    { globalSeed: info.seed, ...(propertiesArg !== undefined ? { propertiesArg } : {}), formatters: [trainingInputFormatter, captureInputFormatter] },
    [],
    undefined,
    replays,
  );
}

export const MERGE_COMMAND: Command = {
  summary: 'combine the reports of check --shard runs into one report set, with the gate verdict of the whole',
  usage: `  <report.json...>    the nanhunt.json of every shard (check --shard k/n, for k = 1..n)
${SESSION_USAGE_MERGE}`,
  synopsis: '<report.json...> [options]',
  run: mergeCommand,
};
