import { describe, expect, it } from 'vitest';
import * as ref from '../../src/reference/index.ts';

const f = Math.fround;
const row = (xs: number[]) => ({ shape: [xs.length], data: Float32Array.from(xs) });

describe('logSoftmax / logSumExp when every other term underflows', () => {
  it('rounds x - max on a float32 tie away from it: the exact answer is a hair below', () => {
    // x - max = -50000001362821120 is exactly halfway between two float32 values; the exact
    // logSoftmax is that minus log1p(e^-2e16 + e^-5e16) > 0, so it rounds to the lower neighbour
    // (round-half-even of the difference alone would give the upper one).
    const x = row([f(3e16), f(1e16), f(-2e16)]);
    const d = f(-2e16) - f(3e16);
    expect(d).toBe(-50000001362821120);
    const r = ref.logSoftmax(x);
    expect(Array.from(r.values, f)).toEqual([-0, f(1e16) - f(3e16), -50000003510304770]);
    expect(f(r.values[2]!)).toBeLessThan(d);
    const lse = ref.logSumExp(x);
    expect(f(lse.values[0]!)).toBe(f(3e16));
  });
  it('settles rows of huge logits without the slow path (no BigNumber exp of -4e16)', () => {
    const xs = Array.from({ length: 25 }, (_, i) => f((i % 2 ? -1 : 1) * (1.5e16 + i * 7.3e14)));
    const r = ref.logSoftmax({ shape: [5, 5], data: Float32Array.from(xs) });
    expect(Array.from(r.kinds).every((k) => k === 0)).toBe(true);
    expect(r.stats.slow).toBe(0);
  });
});
