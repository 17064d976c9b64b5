/**
 * `nanhunt baseline`: run the properties like `nanhunt check` and write the baseline of known
 * findings (default nanhunt.baseline.json) from what failed, so a CI gate fails only on new ones.
 *
 * Findings of this run are listed (entries already there are kept as written, notes included),
 * entries whose property now passes are removed, entries whose property did not run (another
 * --filter or --backend) are kept. Exit 0 whatever was found; 2 on bad usage or a corrupt baseline.
 */
import type { Command } from './main.ts';
import { checkCommand, type Io } from './check.ts';
import { UsageError } from './args.ts';

export const BASELINE_COMMAND: Command = {
  summary: 'run properties and write the baseline of known findings (nanhunt.baseline.json)',
  usage: `  takes the options of check; --baseline <file> is the file written (default nanhunt.baseline.json)`,
  optionsOf: 'check',
  async run(argv: readonly string[], io: Io) {
    if (argv.includes('--strict')) throw new UsageError('--strict is an option of check, not of baseline');
    return checkCommand(argv, io, { updateBaseline: true });
  },
};
