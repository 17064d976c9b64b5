/**
 * `nanhunt db list` and `nanhunt db prune`: look after the failure database; and how `check`'s
 * --db / --no-db / --repro / --no-repro flags (and NANHUNT_DATABASE) become a check session.
 */
import type { Property } from '../property/property.ts';
import path from 'node:path';
import { BackendError, useBackend } from '../run/backend.ts';
import { DEFAULT_DB_DIR, openFailureDatabase, type SavedFailure } from '../db/database.ts';
import { FailureFileError, failureLine } from '../db/record.ts';
import { replayFailure } from '../db/replay.ts';
import { openFailureSession, type FailureSession } from './failure-session.ts';
import { parseArgs, UsageError, type FlagValues } from './args.ts';
import { propertyOfSaved } from './replay.ts';
import type { Io } from './check.ts';

/** The default directory of repro scripts, relative to the working directory. */
export const DEFAULT_REPRO_DIR = path.join('reports', 'repro');

/** Flags `check` adds for the failure database and repro scripts. */
export const DB_FLAGS = { db: 'string', 'no-db': 'boolean', repro: 'string', 'no-repro': 'boolean' } as const;

export const DB_FLAGS_USAGE = `  --db <dir>          failure database: saved failures run first, new ones are saved
                      (default .nanhunt/failures, or $NANHUNT_DATABASE; 'off' there disables it)
  --no-db             neither run nor save saved failures
  --repro <dir>       write a standalone repro script per failure (default <reports dir>/repro)
  --no-repro          write no repro scripts`;

const OFF = new Set(['off', 'false', '0', 'none', 'no']);

/** The database directory the flags and environment select, or false for none. */
export function databaseDir(flags: { readonly db?: string; readonly 'no-db'?: true }, env: NodeJS.ProcessEnv = process.env): string | false {
  if (flags.db !== undefined && flags['no-db']) throw new UsageError('--db and --no-db cannot be used together');
  if (flags['no-db']) return false;
  if (typeof flags.db === 'string') {
    if (flags.db === '') throw new UsageError('--db needs a directory');
    return flags.db;
  }
  const fromEnv = env.NANHUNT_DATABASE?.trim();
  if (fromEnv) return OFF.has(fromEnv.toLowerCase()) ? false : fromEnv;
  return DEFAULT_DB_DIR;
}

/** The failure database and repro scripts of a `check`, from its parsed flags (repro scripts go under `--reports` unless `--repro` says). */
export function failureSessionFromFlags(
  flags: FlagValues<typeof DB_FLAGS> & { readonly reports?: string },
  globalSeed: number,
  io: Io,
  where: { readonly backend?: string; readonly otherBackends?: boolean; readonly replayArgs?: readonly string[] } = {},
): FailureSession {
  if (flags.repro !== undefined && flags['no-repro']) throw new UsageError('--repro and --no-repro cannot be used together');
  if (flags.repro === '') throw new UsageError('--repro needs a directory');
  const fallback = flags.reports !== undefined ? path.join(flags.reports, 'repro') : DEFAULT_REPRO_DIR;
  const repro = flags['no-repro'] ? false : typeof flags.repro === 'string' ? flags.repro : fallback;
  return openFailureSession({ db: databaseDir(flags), repro, globalSeed, warn: io.err, ...where });
}

const LIST_FLAGS = { db: 'string', filter: 'string' } as const;
const PRUNE_FLAGS = { db: 'string', filter: 'string', all: 'boolean', backend: 'string', 'dry-run': 'boolean', properties: 'string' } as const;

export const DB_USAGE = `  db list [--db <dir>] [--filter <text>]
                      list saved failures: status (failing, or fixed: passed since), property, failure, file
  db prune [--db <dir>] [--filter <text>] [--backend <b>] [--properties <p>] [--all] [--dry-run]
                      re-run every saved failure (on the backend it was found on, or --backend) and
                      delete those that now pass, and temporary files of interrupted writes;
                      --all deletes every saved failure without re-running`;

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function matches(f: SavedFailure, filter: string | undefined): boolean {
  return !filter || f.property === filter || f.property.toLowerCase().includes(filter.toLowerCase());
}

function dbFromFlags(flags: { readonly db?: string }): string {
  const dir = databaseDir({ db: flags.db });
  return dir === false ? DEFAULT_DB_DIR : dir;
}

async function listCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, LIST_FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const db = openFailureDatabase(dbFromFlags(flags), { warn: io.err });
  const all = db.list().filter((f) => matches(f, flags.filter));
  io.out(`failure database ${shown(db.dir)}: ${all.length} saved failure${all.length === 1 ? '' : 's'}`);
  for (const f of all) {
    const r = f.record;
    const time = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    const born = r.provenance?.bornIn ? `, born in ${r.provenance.bornIn}` : '';
    const since = f.status === 'fixed' && r.fixedAt ? `passes since ${time(r.fixedAt)} · ` : '';
    io.out(`  ${f.status.padEnd(7)}  ${f.property} — ${failureLine(r.failure)}${born}`);
    io.out(`           ${since}failed last ${time(r.lastSeen)} on ${r.environment.backend}, tfjs ${r.environment.tfjs} · ${shown(f.file)}`);
  }
  return 0;
}

async function pruneCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, PRUNE_FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (flags.all && (flags.backend !== undefined || flags.properties !== undefined)) {
    throw new UsageError('--all deletes without re-running: --backend and --properties do not apply');
  }
  const dryRun = flags['dry-run'] === true;
  const db = openFailureDatabase(dbFromFlags(flags), { warn: io.err });
  const selected = db.list().filter((f) => matches(f, flags.filter));
  const remove = new Set<string>();
  const verb = dryRun ? 'would remove' : 'removed';
  if (flags.all) {
    for (const f of selected) {
      remove.add(f.file);
      io.out(`${verb} ${shown(f.file)}: '${f.property}'`);
    }
  } else {
    // re-run each case on its own backend (grouped, so each backend starts once)
    const byBackend = new Map<string, SavedFailure[]>();
    for (const f of selected) {
      const b = flags.backend ?? f.record.environment.backend;
      byBackend.set(b, [...(byBackend.get(b) ?? []), f]);
    }
    for (const [backend, failures] of byBackend) {
      try {
        await useBackend(backend);
      } catch (e) {
        if (!(e instanceof BackendError)) throw e;
        for (const f of failures) io.out(`kept ${shown(f.file)}: '${f.property}' cannot run here (${e.message.split('. ')[0]})`);
        continue;
      }
      for (const f of failures) {
        let property: Property;
        try {
          ({ property } = await propertyOfSaved(f, flags.properties));
        } catch (e) {
          if (!(e instanceof FailureFileError)) throw e;
          io.out(`kept ${shown(f.file)}: ${e.message} (delete it, or prune --all)`);
          continue;
        }
        const result = replayFailure(property, f);
        if (result.status === 'passed') {
          remove.add(f.file);
          io.out(`${verb} ${shown(f.file)}: '${f.property}' now passes on ${backend}`);
        } else {
          const why =
            result.failure?.kind === 'violation' ? `${result.failure.violation.invariant}: ${result.failure.violation.message}` : result.failure?.message;
          io.out(`kept ${shown(f.file)}: '${f.property}' still fails on ${backend} (${why})`);
        }
      }
    }
  }
  let temporaries = 0;
  if (!dryRun) temporaries = db.prune((f) => remove.has(f.file)).temporaries.length;
  else temporaries = db.problems().filter((p) => p.temporary).length;
  const kept = selected.length - remove.size;
  io.out(
    `${remove.size} ${verb}, ${kept} kept` +
      (temporaries > 0 ? `; ${temporaries} temporary file${temporaries === 1 ? '' : 's'} of interrupted writes ${dryRun ? 'would be ' : ''}removed` : ''),
  );
  return 0;
}

/** `nanhunt db <list|prune>`. */
export async function dbCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') return listCommand(rest, io);
  if (sub === 'prune') return pruneCommand(rest, io);
  throw new UsageError(sub === undefined ? "db needs a subcommand: 'list' or 'prune'" : `unknown db subcommand '${sub}': use 'list' or 'prune'`);
}
