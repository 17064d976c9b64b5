/**
 * Command-line parsing: `--flag value`, `--flag=value` and boolean `--flag`, validated against
 * a per-command table. Anything unknown or malformed is a UsageError (exit code 2).
 */
import { InputError } from '../core/errors.ts';

/** Bad command-line usage: one line, exit 2, with a pointer to --help. */
export class UsageError extends InputError {
  override name = 'UsageError';
  override readonly showUsage: boolean = true;
}

export type FlagKind = 'string' | 'int' | 'boolean';

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Record<string, string | number | boolean>;
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagKind>>): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} is out of range: ${value}`);
      flags[name] = n;
    } else flags[name] = value;
  }
  return { positional, flags };
}

/** `--seed` (default 0, must fit in 32 bits) and `--runs` (at least 1), as check and diff take them. */
export function seedAndRuns(flags: ParsedArgs['flags']): { seed: number; runs: number | undefined } {
  const seed = (flags.seed as number | undefined) ?? 0;
  if (seed < -(2 ** 31) || seed >= 2 ** 31) throw new UsageError('--seed must fit in 32 bits');
  const runs = flags.runs as number | undefined;
  if (runs !== undefined && runs < 1) throw new UsageError('--runs must be at least 1');
  return { seed, runs };
}
