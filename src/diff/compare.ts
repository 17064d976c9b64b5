/**
 * Compare what two backends produced for the same inputs, element by element.
 *
 * Two outcomes (see src/run/execute.ts) disagree when one backend threw and the other did not,
 * when their outputs differ in names, shapes or dtypes, when an element is finite on one and not
 * on the other (or NaN on one and ±Infinity on the other), or when two finite elements are more
 * than the tolerance apart. The comparison also counts ULP distances of every compared element,
 * so agreeing backends still show how close they were.
 */
import type { Outcome } from '../run/execute.ts';
import type { DisagreementKind, FailureKey } from '../property/failure.ts';
import { coordsOf, type ReadTensor } from '../check/invariant.ts';
import { formatNumber } from '../core/tensor-value.ts';
import { MIN_NORMAL } from '../core/float32.ts';
import { finiteness, ulpBucket, ULP_BUCKET_LABELS, agreementDistance, type UlpBucket } from './ulps.ts';

/** How far apart two finite float32 elements may be and still agree. */
export interface AgreementTolerance {
  /** Largest ULP distance that still agrees. */
  readonly ulps: number;
  /** Absolute difference that always agrees (for results near 0 after cancellation). Default 0. */
  readonly atol: number;
}

/**
 * Default tolerance: 4 ULPs, no absolute slack. Measured on the shipped catalog (cpu vs wasm,
 * tfjs 4.22): elementwise ops agree to 0-1 ULP, reductions and losses to a few ULPs except after
 * cancellation; see the README's differential-testing section.
 */
export const DEFAULT_TOLERANCE: AgreementTolerance = Object.freeze({ ulps: 4, atol: 0 });

export type { DisagreementKind } from '../property/failure.ts';

/** One element where the backends differ. */
export interface ElementDiff {
  /** `output`, `output[1]`, `output.loss`, or `grad(x)`. */
  readonly tensor: string;
  /** Flat (row-major) index. */
  readonly index: number;
  readonly coords: readonly number[];
  /** The element on each of the two backends, in the order of `Disagreement.backends`. */
  readonly values: readonly [number, number];
  /** ULPs between them (Infinity when their finiteness differs; |a - b| for int32/bool). */
  readonly ulps: number;
}

/** How two backends disagree on one input. */
export interface Disagreement {
  readonly kind: DisagreementKind;
  /** The two backends compared: the baseline first. */
  readonly backends: readonly [string, string];
  /** One line: what differs and where. */
  readonly message: string;
  /** `finiteness`: the first such element; `value`: the element furthest apart. */
  readonly element?: ElementDiff;
  /** Elements beyond tolerance (value) or of different finiteness (finiteness), in all tensors. */
  readonly count?: number;
  /** Elements compared in all tensors. */
  readonly size?: number;
  /** `throws`: each backend's error (undefined for the one that returned normally). */
  readonly errors?: readonly [string | undefined, string | undefined];
  /** `throws`: the backend that threw; `finiteness`: the one whose element is not finite (if only one). */
  readonly side?: string;
  /** `value`: a likely cause, see {@link Hint}. */
  readonly hint?: Hint;
}

/**
 * Likely causes of a value disagreement, told apart by the two values alone:
 * - `subnormal`: one backend returns ±0 where the other returns a subnormal, or both are
 *   subnormal — flush-to-zero, or an intermediate that underflowed on one backend only;
 * - `zero`: one backend returns exactly 0 and the other a normal number — usually cancellation
 *   (the exact answer may be 0 or tiny: a reference decides; `atol` accepts it).
 */
export type Hint = 'subnormal' | 'zero';

export const HINTS: Readonly<Record<Hint, string>> = {
  subnormal: 'subnormal range: one backend flushes to zero or underflows where the other keeps a subnormal',
  zero: 'one backend returns exactly 0: usually cancellation (a reference says which is right; --atol accepts it)',
};

function hintOf(u: number, v: number): Hint | undefined {
  if (Math.abs(u) < MIN_NORMAL && Math.abs(v) < MIN_NORMAL) return 'subnormal';
  if (u === 0 || v === 0) return 'zero';
  return undefined;
}

/** ULP distances of the finite (or equally non-finite) element pairs compared. */
export interface UlpStats {
  /** Element pairs compared. */
  compared: number;
  /** Pairs not bit-identical (ULP distance > 0). */
  differing: number;
  /** Largest ULP distance among pairs of the same finiteness. */
  maxUlps: number;
  /** Count of pairs per ULP bucket (`0`, `1`, `2-4`, `5-16`, `17-256`, `>256`). */
  histogram: Record<UlpBucket, number>;
}

export function emptyStats(): UlpStats {
  return { compared: 0, differing: 0, maxUlps: 0, histogram: Object.fromEntries(ULP_BUCKET_LABELS.map((b) => [b, 0])) as Record<UlpBucket, number> };
}

export function mergeStats(into: UlpStats, from: UlpStats): void {
  into.compared += from.compared;
  into.differing += from.differing;
  into.maxUlps = Math.max(into.maxUlps, from.maxUlps);
  for (const b of ULP_BUCKET_LABELS) into.histogram[b] += from.histogram[b];
}

export interface OutcomeComparison {
  /** Undefined when the backends agree within tolerance (or both threw). */
  readonly disagreement?: Disagreement;
  readonly stats: UlpStats;
  /** Both backends threw: nothing was compared. */
  readonly bothThrew: boolean;
}

function where(t: ReadTensor, index: number): string {
  return t.data.length === 1 && t.shape.length <= 1 ? t.name : `${t.name}[${coordsOf(t.shape, index).join(', ')}]`;
}

function errorOf(o: Outcome): string | undefined {
  if (o.kind === 'unsupported') return o.unsupported.message;
  return o.kind === 'error' ? `${o.message}${o.stage === 'subject' ? '' : ` (${o.stage})`}` : undefined;
}

/** Compare the outcomes of backends `names[0]` (baseline) and `names[1]` on the same inputs. */
export function compareOutcomes(
  a: Outcome,
  b: Outcome,
  names: readonly [string, string],
  tolerance: AgreementTolerance = DEFAULT_TOLERANCE,
): OutcomeComparison {
  const stats = emptyStats();
  if (a.kind !== 'ok' || b.kind !== 'ok') {
    if (a.kind !== 'ok' && b.kind !== 'ok') return { stats, bothThrew: true };
    const errors = [errorOf(a), errorOf(b)] as const;
    const i = a.kind !== 'ok' ? 0 : 1;
    return {
      stats,
      bothThrew: false,
      disagreement: {
        kind: 'throws',
        backends: names,
        side: names[i],
        errors,
        message: `${names[i]} threw: ${errors[i]}; ${names[1 - i]} returned normally`,
      },
    };
  }
  const ta = [...a.observation.outputs, ...a.observation.gradients];
  const tb = [...b.observation.outputs, ...b.observation.gradients];
  const structure = (message: string): OutcomeComparison => ({ stats, bothThrew: false, disagreement: { kind: 'structure', backends: names, message } });
  const na = ta.map((t) => t.name).join(', ');
  const nb = tb.map((t) => t.name).join(', ');
  if (na !== nb) return structure(`different outputs: ${names[0]} gave ${na}, ${names[1]} gave ${nb}`);

  let finite: { element: ElementDiff; at: string; side?: string } | undefined;
  let finiteCount = 0;
  let worst: { element: ElementDiff; at: string } | undefined;
  let beyond = 0;
  let size = 0;
  for (let k = 0; k < ta.length; k++) {
    const x = ta[k]!;
    const y = tb[k]!;
    if (x.dtype !== y.dtype || x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
      return structure(`${x.name}: ${names[0]} gave ${x.dtype} [${x.shape.join(', ')}], ${names[1]} gave ${y.dtype} [${y.shape.join(', ')}]`);
    }
    const exact = x.dtype !== 'float32';
    size += x.data.length;
    for (let i = 0; i < x.data.length; i++) {
      const u = x.data[i]!;
      const v = y.data[i]!;
      const element = (ulps: number): ElementDiff => ({ tensor: x.name, index: i, coords: coordsOf(x.shape, i), values: [u, v], ulps });
      if (exact) {
        stats.compared++;
        const d = Math.abs(u - v);
        stats.histogram[d === 0 ? '0' : '>256']++;
        if (d > 0) {
          stats.differing++;
          beyond++;
          if (!worst || d > worst.element.ulps) worst = { element: element(d), at: where(x, i) };
        }
        continue;
      }
      const fu = finiteness(u);
      const fv = finiteness(v);
      if (fu !== fv) {
        finiteCount++;
        if (!finite) {
          const side = fu === 'finite' ? names[1] : fv === 'finite' ? names[0] : undefined;
          finite = { element: element(Infinity), at: where(x, i), ...(side ? { side } : {}) };
        }
        continue;
      }
      const d = agreementDistance(u, v);
      stats.compared++;
      stats.histogram[ulpBucket(d)]++;
      if (d > 0) stats.differing++;
      if (d > stats.maxUlps) stats.maxUlps = d;
      if (d > tolerance.ulps && !(Math.abs(u - v) <= tolerance.atol)) {
        beyond++;
        if (!worst || d > worst.element.ulps) worst = { element: element(d), at: where(x, i) };
      }
    }
  }
  if (finite) {
    const [u, v] = finite.element.values;
    const more = finiteCount > 1 ? ` (${finiteCount} of ${size} elements differ in finiteness)` : '';
    return {
      stats,
      bothThrew: false,
      disagreement: {
        kind: 'finiteness',
        backends: names,
        element: finite.element,
        count: finiteCount,
        size,
        ...(finite.side ? { side: finite.side } : {}),
        message: `${finite.at}: ${names[0]} ${formatNumber(u)}, ${names[1]} ${formatNumber(v)}${more}`,
      },
    };
  }
  if (worst) {
    const [u, v] = worst.element.values;
    const exact = !Number.isFinite(worst.element.ulps) || ta.find((t) => t.name === worst!.element.tensor)!.dtype !== 'float32';
    const apart = exact ? `differ by ${worst.element.ulps}` : `${worst.element.ulps} ULPs apart`;
    const more = beyond > 1 ? `; ${beyond} of ${size} elements beyond tolerance` : '';
    const hint = exact ? undefined : hintOf(u, v);
    return {
      stats,
      bothThrew: false,
      disagreement: {
        kind: 'value',
        backends: names,
        element: worst.element,
        count: beyond,
        size,
        ...(hint ? { hint } : {}),
        message: `${worst.at}: ${names[0]} ${formatNumber(u)}, ${names[1]} ${formatNumber(v)} (${apart}, tolerance ${tolerance.ulps}${more})`,
      },
    };
  }
  return { stats, bothThrew: false };
}

/**
 * What "disagreeing the same way" means while shrinking: the same backends, the same kind, the
 * same tensor, and for `throws` / `finiteness` the same side.
 */
/** The identity of a disagreement: the engine shrinks while the backends disagree this same way. */
export function disagreementKey(d: Disagreement): FailureKey {
  return { kind: 'disagreement', how: d.kind, backends: d.backends, tensor: d.element?.tensor ?? '', ...(d.side !== undefined ? { side: d.side } : {}) };
}
