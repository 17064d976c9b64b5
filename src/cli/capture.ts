/**
 * `nanhunt capture replay <file>` and `nanhunt capture shrink <file>`: captures written by the guard
 * (nanhunt/guard) taken again on a backend, explained, and shrunk to a standalone repro script and
 * a saved failure that `check` replays first.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { VERSION } from '../core/version.ts';
import { openFailureDatabase } from '../db/database.ts';
import { originOf } from '../db/origin.ts';
import { readCapture, writeCapture, CaptureFileError, type Capture } from '../guard/capture.ts';
import { describeSymptom } from '../guard/case.ts';
import { captureProperty, CAPTURE_PREFIX } from '../guard/property.ts';
import { formatReplay, replayCapture, ReplayError } from '../guard/replay.ts';
import { writeCaptureRepro } from '../guard/repro.ts';
import { describeIdentity, NothingToShrinkError, shrinkCase } from '../guard/shrink.ts';
import { runProperty } from '../property/runner.ts';
import { BackendError, isBackendName, isBrowserBackend, useBackend } from '../run/backend.ts';
import { parseArgs, UsageError } from './args.ts';
import type { Io } from './check.ts';
import { databaseDir, DEFAULT_REPRO_DIR } from './db.ts';

const REPLAY_FLAGS = { backend: 'string' } as const;
const SHRINK_FLAGS = { backend: 'string', out: 'string', db: 'string', 'no-db': 'boolean', 'max-runs': 'int', 'time-limit': 'int' } as const;

export const CAPTURE_SUMMARY = 'replay or shrink a training step captured by nanGuard (nanhunt/guard)';

export const CAPTURE_USAGE = `  capture replay <file> [--backend <b>]
                      take the captured step (.nanhunt/captures/*.capture.json) again and report: the
                      non-finite value, the step, the layer and weight where it first appeared, the
                      kernel where it was born; exit 1 while it fails, 0 when it stays finite
                      (default backend: the one it was captured on when it runs here, else cpu)
  capture shrink <file> [--backend <b>] [--out <dir>] [--db <dir> | --no-db] [--max-runs <n>] [--time-limit <s>]
                      shrink the step while it fails the same way (fewest batch rows, simplest batch
                      values, weights off the failing path set to 0 or simple values, optimizer state
                      exact); write <name>.min.capture.json beside it, a standalone repro script
                      <out>/<name>.repro.mjs (+ .weights.bin; default --out ${DEFAULT_REPRO_DIR}) and a
                      saved failure that check replays first (default --db .nanhunt/failures)`;

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function quote(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The backend to replay on: --backend, else the capture's when it runs here, else cpu (with a note). */
function chooseBackend(capture: Capture, flag: string | undefined): { backend: string; note?: string } {
  if (flag !== undefined) return { backend: flag };
  const b = capture.environment.backend === 'tensorflow' ? 'node' : capture.environment.backend;
  // a captured step replays in this process: a browser backend (webgl, webgpu) runs only in Chromium's page
  if (isBackendName(b) && !isBrowserBackend(b)) return { backend: b };
  return { backend: 'cpu', note: `captured on backend ${capture.environment.backend}, which nanhunt does not run: replaying on cpu (--backend to choose)` };
}

async function open(file: string, flag: string | undefined, io: Io, verb: string): Promise<{ capture: Capture; backend: string; note?: string } | number> {
  let capture: Capture;
  try {
    capture = readCapture(file);
  } catch (e) {
    if (!(e instanceof CaptureFileError)) throw e;
    io.err(`nanhunt: cannot ${verb} ${file}: ${e.message}`);
    return 2;
  }
  const choice = chooseBackend(capture, flag);
  try {
    await useBackend(choice.backend);
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    io.err(`nanhunt: cannot ${verb} ${file}: ${e.message}`);
    return 2;
  }
  return { capture, ...choice };
}

function oneFile(positional: readonly string[], verb: string): string {
  if (positional.length === 0) throw new UsageError(`capture ${verb} needs a capture file: nanhunt capture ${verb} .nanhunt/captures/<file>.capture.json`);
  if (positional.length > 1) throw new UsageError(`capture ${verb} takes one capture file, got ${positional.length}`);
  return positional[0]!;
}

async function replayCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, REPLAY_FLAGS);
  const file = oneFile(positional, 'replay');
  const opened = await open(file, flags.backend, io, 'replay');
  if (typeof opened === 'number') return opened;
  const { capture, backend, note } = opened;
  io.out(`nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · backend ${backend} · replaying capture ${file}`);
  if (note) io.out(`note: ${note}`);
  let result: ReturnType<typeof replayCapture>;
  try {
    result = replayCapture(capture);
  } catch (e) {
    if (!(e instanceof ReplayError)) throw e;
    io.err(`nanhunt: cannot replay ${file}: ${e.message}`);
    return 2;
  }
  io.out(formatReplay(capture, result, file));
  return result.outcome.faithful.symptom ? 1 : 0;
}

/** `x.capture.json` → `x`; `x.min.capture.json` → `x.min`. */
function stemOf(file: string): string {
  return path
    .basename(file)
    .replace(/\.capture\.json$/, '')
    .replace(/\.json$/, '');
}

async function shrinkCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, SHRINK_FLAGS);
  const file = oneFile(positional, 'shrink');
  if (flags['max-runs'] !== undefined && flags['max-runs'] < 1) throw new UsageError('--max-runs must be at least 1');
  if (flags['time-limit'] !== undefined && flags['time-limit'] < 1) throw new UsageError('--time-limit must be at least 1 (seconds)');
  const dbDir = databaseDir(flags);
  const opened = await open(file, flags.backend, io, 'shrink');
  if (typeof opened === 'number') return opened;
  const { capture, backend, note } = opened;
  io.out(`nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · backend ${backend} · shrinking capture ${file}`);
  if (note) io.out(`note: ${note}`);
  let shrunk: ReturnType<typeof shrinkCase>;
  try {
    shrunk = shrinkCase(capture.case, {
      ...(flags['max-runs'] !== undefined ? { maxRuns: flags['max-runs'] } : {}),
      ...(flags['time-limit'] !== undefined ? { timeLimitMs: flags['time-limit'] * 1000 } : {}),
    });
  } catch (e) {
    if (e instanceof NothingToShrinkError) {
      io.out(
        `✓ does not reproduce on ${backend}: the captured step stays finite (on ${capture.environment.backend} it gave ${describeSymptom(capture.info.symptom)}); nothing to shrink`,
      );
      return 0;
    }
    if (e instanceof ReplayError) {
      io.err(`nanhunt: cannot shrink ${file}: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const stem = stemOf(file).replace(/\.min$/, '');
  const minFile = path.join(path.dirname(path.resolve(file)), `${stem}.min.capture.json`);
  const min: Capture = {
    ...capture,
    environment: { ...capture.environment, backend },
    info: { ...capture.info, symptom: shrunk.identity.symptom, shrunk: { from: path.basename(file), runs: shrunk.runs, summary: shrunk.summary } },
    case: shrunk.case,
  };
  writeCapture(minFile, min);
  const result = replayCapture(min);
  io.out(formatReplay(min, result, shown(minFile)));
  io.out('');
  io.out(`shrunk in ${(shrunk.durationMs / 1000).toFixed(1)} s, failing the same way throughout: ${describeIdentity(shrunk.identity)}`);
  io.out(`  ${shrunk.summary}`);
  const repro = writeCaptureRepro(path.resolve(flags.out ?? DEFAULT_REPRO_DIR, `${stem}.repro.mjs`), shrunk.case, {
    symptom: shrunk.identity.symptom,
    header: [
      `step ${capture.info.step} of model '${capture.info.model}' (${capture.case.kind}), captured on ${capture.environment.backend} with tfjs ${capture.environment.tfjs} (nanhunt ${capture.environment.nanhunt})`,
      `shrunk on ${backend} from ${path.basename(file)}: ${shrunk.summary}`,
      `Run: node ${path.basename(`${stem}.repro.mjs`)}`,
    ],
  });
  io.out(`shrunk capture: ${shown(minFile)} (npx nanhunt capture replay ${quote(shown(minFile))})`);
  io.out(
    `repro: node ${quote(shown(repro.script))} (needs only @tensorflow/tfjs${repro.sidecar ? `; the weights are in ${path.basename(repro.sidecar)} next to it` : '; every tensor is written in it'})`,
  );
  if (dbDir !== false) {
    const property = captureProperty(`${CAPTURE_PREFIX}${stem}`, { ...shrunk.case, step: capture.info.step });
    const r = runProperty(property, { seed: 0, runs: 1 });
    const db = openFailureDatabase(dbDir, { warn: io.err });
    const saved = db.save(r, { property, origin: originOf({ file: minFile, exportName: 'capture', capture: minFile }) });
    if (saved)
      io.out(`saved: ${quote(shown(saved.file))} ('${property.name}': npx nanhunt check runs it first; npx nanhunt replay ${quote(shown(saved.file))})`);
    else io.out(`not saved to the failure database: the shrunk step ${r.status} when run as a property`);
  }
  return 1;
}

/** `nanhunt capture <replay|shrink>`. */
export async function captureCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'replay') return replayCommand(rest, io);
  if (sub === 'shrink') return shrinkCommand(rest, io);
  throw new UsageError(
    sub === undefined ? "capture needs a subcommand: 'replay' or 'shrink'" : `unknown capture subcommand '${sub}': use 'replay' or 'shrink'`,
  );
}

export const CAPTURE_COMMAND = { summary: CAPTURE_SUMMARY, usage: CAPTURE_USAGE, run: captureCommand };
