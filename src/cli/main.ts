/**
 * The `nanhunt` command: dispatches to subcommands and maps errors to exit codes
 * (0 ok, 1 a property failed, 2 bad usage or input).
 */
import { UsageError } from './args.ts';
import { checkCommand, type Io } from './check.ts';
import { VERSION } from '../core/version.ts';
import { replayFailureCommand, REPLAY_USAGE } from './replay.ts';
import { dbCommand, DB_FLAGS_USAGE, DB_USAGE } from './db.ts';
import { BASELINE_COMMAND } from './baseline.ts';
import { diffCommand, DIFF_SUMMARY, DIFF_USAGE } from './diff.ts';
import { SESSION_USAGE } from './check-session.ts';
import { InputError } from '../core/errors.ts';
import { TRAIN_REPRO_COMMAND } from './train-repro.ts';
import { CAPTURE_COMMAND } from './capture.ts';
import { CATALOG_COMMAND } from './catalog.ts';
import { MERGE_COMMAND } from './merge.ts';

export interface Command {
  /** One line for `nanhunt --help`. */
  readonly summary: string;
  /** Usage text for the command's options. */
  readonly usage: string;
  /** What follows the command's name in its usage line (default `[options]`). */
  readonly synopsis?: string;
  /** Another command whose options this one takes too (`nanhunt <name> --help` prints them). */
  readonly optionsOf?: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** Every subcommand. Add a command by adding an entry. */
export const COMMANDS: Record<string, Command> = {
  check: {
    summary: "run properties (default: nanhunt's shipped catalog) and report",
    usage: `  --backend <cpu|wasm|node|node-gpu|webgl|webgpu>  backend to run on (default cpu); webgl and webgpu
                      run in headless Chromium (software rendering when there is no GPU)
  --webgl-f16         webgl: float16 textures, as on many phones (WEBGL_FORCE_F16_TEXTURES)
  --webgl-pack <on|off>  webgl: packed or unpacked kernels (WEBGL_PACK; default tfjs's choice)
  --seed <n>          global seed (default 0); each property's seed derives from it and its name
  --runs <n>          generated cases per property (default: the property's own, else 100)
  --distinct <n>      report up to n distinct failures per property, each shrunk on its own
                      (default 3; 1: stop at the first failure)
  --filter <text>     only properties whose name is <text>, or else contains it
  --path <path>       replay one property's fast-check path (with the same --seed)
  --properties <dir>  load properties from this file or directory instead of the catalog
  --json <file>       write machine-readable results
  --shard <k/n>       run the k-th of n shards of the selected properties (by a hash of each name;
                      merge the shards' reports with nanhunt merge)
  --durations <file>  with --shard: balance the shards by the durations in this earlier nanhunt.json
                      (longest first to the least-loaded shard; properties not in it by the hash;
                      every shard of a matrix must be given the same file)
  --timeout <s>       watchdog: run the properties in a worker thread and stop one still running after
                      <s> seconds (reported errored, stage timeout); slow ones are named every 10 s
  --time-budget <d>   end the run in about this long (e.g. 90s, 10m, 1h30m; loading counts): each property
                      gets its share of the time left when it starts and stops generating there (its
                      runs, fewer than usual when cut short, in --verbose and the reports); the cases run
                      then depend on the machine's speed, so two runs of one seed may differ
  --workers <n>       run the properties in n worker threads at once (default: one per 32 properties,
                      at most one per core; not webgl/webgpu); output, reports and the failure
                      database are those of a one-worker run
${SESSION_USAGE}
${DB_FLAGS_USAGE}`,
    run: checkCommand,
  },
  baseline: BASELINE_COMMAND,
  diff: { summary: DIFF_SUMMARY, usage: DIFF_USAGE, run: diffCommand },
  replay: {
    summary: 're-run one saved failure (a file of .nanhunt/failures/) and report; exit 1 if it still fails',
    usage: REPLAY_USAGE,
    synopsis: '<failure-file> [options]',
    run: replayFailureCommand,
  },
  db: { summary: 'list saved failures, or prune those that now pass', usage: DB_USAGE, synopsis: 'list|prune [options]', run: dbCommand },
  'train-repro': TRAIN_REPRO_COMMAND,
  capture: CAPTURE_COMMAND,
  catalog: CATALOG_COMMAND,
  merge: MERGE_COMMAND,
};

const EXIT_CODES = 'Exit codes: 0 all passed (known findings in the baseline allowed), 1 a new finding, 2 bad usage or a corrupt baseline.';

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'Usage: nanhunt <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.summary}`),
    '',
    ...names.flatMap((n) => [`Options for ${n}:`, COMMANDS[n]!.usage, '']),
    EXIT_CODES,
  ].join('\n');
}

/** `nanhunt <name> --help`: one command's usage line, what it does, and its options. */
export function commandUsage(name: string): string {
  const cmd = COMMANDS[name]!;
  const other = cmd.optionsOf !== undefined ? COMMANDS[cmd.optionsOf] : undefined;
  return [
    `Usage: nanhunt ${name} ${cmd.synopsis ?? '[options]'}`,
    '',
    `${cmd.summary[0]!.toUpperCase()}${cmd.summary.slice(1)}.`,
    '',
    'Options:',
    cmd.usage,
    ...(other ? ['', `Options of ${cmd.optionsOf}:`, other.usage] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}

const consoleIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stream: process.stdout,
  startedAt: 0, // the process start: --time-budget counts loading nanhunt and TensorFlow.js too
};

export async function main(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-v') {
      io.out(VERSION);
      return 0;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(usage());
      return 0;
    }
    if (command === undefined) throw new UsageError('no command given');
    const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!cmd) throw new UsageError(`unknown command '${command}'`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandUsage(command));
      return 0;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`nanhunt: ${e.message}`);
      if (e.showUsage) io.err(`Run 'nanhunt --help' for usage.`);
      return 2;
    }
    throw e;
  }
}
