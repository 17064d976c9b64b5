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

/** A command's flags: name → kind. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** The typed values of a spec's flags: `int` → number, `boolean` → true, `string` → string; absent → undefined. */
export type FlagValues<S extends FlagSpec> = { readonly [K in keyof S]?: S[K] extends 'int' ? number : S[K] extends 'boolean' ? true : string };

export interface ParsedArgs<S extends FlagSpec = FlagSpec> {
  readonly positional: string[];
  readonly flags: FlagValues<S>;
}

/** Parse argv against a spec: the result is typed by the spec, so no flag is cast at its use. */
export function parseArgs<const S extends FlagSpec>(argv: readonly string[], spec: S): ParsedArgs<S> {
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
    const value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} is out of range: ${value}`);
      flags[name] = n;
    } else flags[name] = value;
  }
  return { positional, flags: flags as FlagValues<S> };
}

/** `--seed` (default 0, must fit in 32 bits) and `--runs` (at least 1), as check and diff take them. */
export function seedAndRuns(flags: { readonly seed?: number; readonly runs?: number }): { seed: number; runs: number | undefined } {
  const seed = flags.seed ?? 0;
  if (seed < -(2 ** 31) || seed >= 2 ** 31) throw new UsageError('--seed must fit in 32 bits');
  const runs = flags.runs;
  if (runs !== undefined && runs < 1) throw new UsageError('--runs must be at least 1');
  return { seed, runs };
}
