/**
 * `nanhunt check --time-budget <duration>`: the run should end within the duration. Each property,
 * when it starts, gets its share of what is left of the budget as its generation time limit
 * (RunOptions.timeLimitMs: fast-check stops generating — and shrinking — at it, and the result is
 * marked interrupted). Time a property does not use (it ran all its runs sooner) goes to the
 * properties after it; time it overran (its last case, its provenance re-run) is taken from them.
 * The clock starts with the command, so loading TensorFlow.js and the properties counts too.
 *
 * A budget makes the number of runs depend on the machine's speed and load: the same seed
 * generates the same cases in the same order, but a run may stop after fewer of them.
 */
import { UsageError } from './args.ts';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * A duration as `--time-budget` takes it: `90s`, `10m`, `1h`, `1h30m`, `500ms`, or a bare number
 * of seconds. Anything else (zero, negative, an unknown unit) is a usage error.
 */
export function parseDuration(flag: string, text: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|min|m|h))+$/.test(text)
    ? [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|min|m|h)/g)].map((m) => Number(m[1]) * UNITS[m[2]!]!)
    : /^\d+(?:\.\d+)?$/.test(text)
      ? [Number(text) * 1000]
      : undefined;
  const ms = parts?.reduce((a, b) => a + b, 0);
  if (ms === undefined || !(ms >= 1) || !Number.isFinite(ms)) {
    throw new UsageError(`--${flag} must be a positive duration such as 90s, 10m or 1h30m, got '${text}'`);
  }
  return ms;
}

/** Least generation time a property gets, in ms, however little of the budget is left. */
export const MIN_SHARE_MS = 1;

/**
 * The budget of one run: `share()` when a property starts gives its time limit. With `workers`
 * threads running properties at once, the time left is shared among the rounds of properties
 * still to start (⌈left / workers⌉ of them).
 */
export class TimeBudget {
  private readonly deadline: number;
  private left: number;

  constructor(
    readonly totalMs: number,
    properties: number,
    private readonly workers = 1,
    private readonly now: () => number = () => performance.now(),
    started: number = now(),
  ) {
    this.deadline = started + totalMs;
    this.left = properties;
  }

  /** Time left until the deadline (0 past it). */
  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  /** A property starts: its generation time limit in ms (at least {@link MIN_SHARE_MS}). */
  share(): number {
    const rounds = Math.max(1, Math.ceil(this.left / this.workers));
    this.left = Math.max(0, this.left - 1);
    return Math.max(MIN_SHARE_MS, Math.floor(this.remainingMs() / rounds));
  }
}
