/**
 * Settings of the exact references: BigNumber precision, tiered or all-exact evaluation, and how
 * plain number inputs are read.
 *
 * Every reference takes an optional {@link ReferenceOptions} argument. Settings not given there
 * come from the innermost {@link withReferenceOptions} call, then from the defaults. The
 * gradient checker uses the ambient form to evaluate a user's reference at float64 points
 * without the user threading options through.
 */

/** Significant decimal digits BigNumber uses when a reference falls back to it. */
export const DEFAULT_PRECISION = 50;
/** Fewer digits could not settle values float64 already left undecided. */
export const MIN_PRECISION = 24;
/** More digits make a single transcendental function cost tens of milliseconds. */
export const MAX_PRECISION = 1000;

export interface ReferenceOptions {
  /**
   * Significant decimal digits for BigNumber evaluation, an integer from 24 to 1000 (default 50,
   * about 166 bits). A value that still lands too close to a float32 rounding boundary is
   * recomputed with twice the digits, up to 1000 (past 500, straight to 1000), so the float32 rounding of every reference
   * value is exact whatever the starting precision.
   */
  readonly precision?: number;
  /**
   * `'tiered'` (default): float64 with a rigorous error bound first; BigNumber (or exact integer
   * arithmetic for sums and products) only for elements whose float32 rounding the bound does not
   * settle. `'exact'`: skip float64 and evaluate every element the slow, exact way. Both give the
   * same float32 roundings; `'exact'` exists to check that claim and costs ~10^4 times more.
   */
  readonly mode?: 'tiered' | 'exact';
  /**
   * How numbers are read from inputs. `'float32'` (default) rounds each to float32 first, as
   * `tf.tensor` does, so a plain `[0.1]` means the float32 nearest 0.1. `'float64'` takes them
   * as given; the gradient checker uses it to evaluate references between float32 values.
   */
  readonly inputs?: 'float32' | 'float64';
}

export interface ResolvedOptions {
  readonly precision: number;
  readonly mode: 'tiered' | 'exact';
  readonly inputs: 'float32' | 'float64';
}

const DEFAULTS: ResolvedOptions = { precision: DEFAULT_PRECISION, mode: 'tiered', inputs: 'float32' };
const stack: ResolvedOptions[] = [];

/** Check a precision setting, throwing a RangeError that says what is allowed. */
export function validatePrecision(precision: unknown): number {
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < MIN_PRECISION || precision > MAX_PRECISION) {
    throw new RangeError(
      `reference precision must be an integer number of significant digits from ${MIN_PRECISION} to ${MAX_PRECISION}; got ${String(precision)}`,
    );
  }
  return precision;
}

function merge(base: ResolvedOptions, options: ReferenceOptions | undefined): ResolvedOptions {
  if (options === undefined) return base;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`reference options must be an object; got ${String(options)}`);
  }
  const precision = options.precision === undefined ? base.precision : validatePrecision(options.precision);
  const mode = options.mode ?? base.mode;
  if (mode !== 'tiered' && mode !== 'exact') {
    throw new RangeError(`reference mode must be 'tiered' or 'exact'; got ${JSON.stringify(mode)}`);
  }
  const inputs = options.inputs ?? base.inputs;
  if (inputs !== 'float32' && inputs !== 'float64') {
    throw new RangeError(`reference inputs must be 'float32' or 'float64'; got ${JSON.stringify(inputs)}`);
  }
  return { precision, mode, inputs };
}

/** The settings in force: defaults, then enclosing {@link withReferenceOptions} calls, then `options`. */
export function resolveOptions(options?: ReferenceOptions): ResolvedOptions {
  return merge(stack.length > 0 ? stack[stack.length - 1]! : DEFAULTS, options);
}

/** Run `fn` with reference settings changed for every reference it calls (synchronously). */
export function withReferenceOptions<R>(options: ReferenceOptions, fn: () => R): R {
  stack.push(resolveOptions(options));
  try {
    return fn();
  } finally {
    stack.pop();
  }
}
