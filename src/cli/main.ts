/**
 * The `nanhunt` command: dispatches to subcommands and maps errors to exit codes
 * (0 ok, 1 a property failed, 2 bad usage or input).
 */
import { UsageError } from './args.ts';
import { checkCommand, type Io } from './check.ts';
import { VERSION } from './version.ts';

export const USAGE = `Usage: nanhunt <command> [options]

Commands:
  check     run properties (default: nanhunt's shipped catalog) and report

Options for check:
  --backend <cpu|wasm|node|node-gpu>  backend to run on (default cpu)
  --seed <n>          global seed (default 0); each property's seed derives from it and its name
  --runs <n>          generated cases per property (default: the property's own, else 100)
  --filter <text>     only properties whose name is <text>, or else contains it
  --path <path>       replay one property's fast-check path (with the same --seed)
  --properties <dir>  load properties from this file or directory instead of the catalog
  --json <file>       write machine-readable results

Exit codes: 0 all passed, 1 a property failed, 2 bad usage.`;

const consoleIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export async function main(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case '--version':
      case '-v':
        io.out(VERSION);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return 0;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`nanhunt: ${e.message}`);
      io.err(`Run 'nanhunt --help' for usage.`);
      return 2;
    }
    throw e;
  }
}
