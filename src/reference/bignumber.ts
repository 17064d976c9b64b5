/**
 * mathjs BigNumber, loaded lazily and cloned per precision.
 *
 * The full `mathjs` entry point takes about a second to import (2 s under tsx), which would be
 * paid by every run even though the tiered references rarely need BigNumber. The class is loaded
 * synchronously on first use instead, from mathjs's self-contained bundle (about 50 ms), falling
 * back to the main entry point. Only `import type` touches mathjs at load time.
 */
import { createRequire } from 'node:module';
import type { BigNumber } from 'mathjs';
import { exactDecimal } from '../core/float32.ts';

/** A mathjs BigNumber (a decimal.js Decimal). */
export type Big = BigNumber;

/** A BigNumber class configured with its own precision and rounding. */
export interface BigClass {
  new (value: string | number | Big): Big;
  readonly precision: number;
  clone(config: Readonly<Record<string, unknown>>): BigClass;
}

/** decimal.js rounding modes used here. */
const ROUND_UP = 0;
const ROUND_HALF_EVEN = 6;

let base: BigClass | undefined;

function loadBase(): BigClass {
  if (base !== undefined) return base;
  const require = createRequire(import.meta.url);
  let math: { bignumber(x: number): Big };
  try {
    math = require('mathjs/lib/browser/math.js') as typeof math;
  } catch {
    math = require('mathjs') as typeof math;
  }
  base = math.bignumber(0).constructor as unknown as BigClass;
  return base;
}

const classes = new Map<number, BigClass>();

/** The BigNumber class rounding half-even to `precision` significant digits. */
export function bigClass(precision: number): BigClass {
  let cls = classes.get(precision);
  if (cls === undefined) {
    cls = loadBase().clone({
      precision,
      rounding: ROUND_HALF_EVEN,
      minE: -9e15,
      maxE: 9e15,
      toExpNeg: -7,
      toExpPos: 21,
    });
    classes.set(precision, cls);
  }
  return cls;
}

let errorCls: BigClass | undefined;

/** A low-precision class rounding away from zero, for error bounds (which must not shrink when rounded). */
export function errorClass(): BigClass {
  errorCls ??= loadBase().clone({ precision: 10, rounding: ROUND_UP, minE: -9e15, maxE: 9e15 });
  return errorCls;
}

/** The exact value of a double as a BigNumber of class `cls` (construction does not round). */
export function bigOf(cls: BigClass, x: number): Big {
  return new cls(exactDecimal(x));
}
