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
import type { ExactTensor } from '../reference/exact.ts';
import type { Tolerance } from '../reference/tolerances.ts';
import { measureError } from '../check/error.ts';
import { withFlushAllowance, withinTolerance } from '../check/accuracy.ts';
import { gradientPeak, judgeGradientElement, type ExpectedGradient } from '../check/gradient.ts';
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
  /** Judged against the exact reference: the backend out of its tolerance (the other is within). */
  readonly wrong?: string;
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

/**
 * The exact answers of the outputs and each backend's tolerance: with them, two backends' elements
 * are judged against the exact answer instead of against each other.
 */
export interface ReferenceJudge {
  /** Exact answers, one per output in order (none: outputs are compared with each other). */
  readonly expected?: readonly ExactTensor[];
  /** The tolerance on each of the two backends compared. */
  readonly tolerances: readonly [Tolerance, Tolerance];
  /** Exact gradients by input path (`x`, `p.base`), and each backend's gradient tolerance. */
  readonly gradients?: ReadonlyMap<string, ExpectedGradient>;
  readonly gradientTolerances?: readonly [Tolerance, Tolerance];
  /** Where nothing exact judges: compare values (default) or only finiteness (outputs that amplify rounding). */
  readonly agreement?: 'values' | 'finiteness';
  /**
   * Per side, for a backend that reads subnormals as 0 and flushes subnormal results (TensorFlow's
   * kernels, src/core/float32.ts): the exact answers of the inputs so read. An element out of
   * tolerance of the exact answer is right when it is within tolerance (plus 2^-126) of these.
   */
  readonly flushed?: readonly [FlushedAnswers | undefined, FlushedAnswers | undefined];
}

/** The exact outputs and gradients of the inputs with subnormals read as 0. */
export interface FlushedAnswers {
  readonly expected?: readonly ExactTensor[];
  readonly gradients?: ReadonlyMap<string, ExpectedGradient>;
}

/** Whether each side's gradient element is within its tolerance of the exact one, and its error in ULPs. */
function gradientVerdicts(
  judge: ReferenceJudge,
  exp: ExpectedGradient,
  peak: number,
  i: number,
  u: number,
  v: number,
  wrt?: string,
): { ok: [boolean, boolean]; ulps: [number, number] } | undefined {
  const tols = judge.gradientTolerances ?? judge.tolerances;
  const a = judgeGradientElement(u, exp, i, tols[0], peak);
  const b = judgeGradientElement(v, exp, i, tols[1], peak);
  if (!a || !b) return undefined;
  const ok: [boolean, boolean] = [a.ok, b.ok];
  [u, v].forEach((got, side) => {
    const alt = wrt === undefined ? undefined : judge.flushed?.[side]?.gradients?.get(wrt);
    if (!ok[side] && alt) ok[side] = judgeGradientElement(got, alt, i, withFlushAllowance(tols[side]!), gradientPeak(alt))?.ok ?? false;
  });
  return { ok, ulps: [a.m.ulps, b.m.ulps] };
}

/** Whether each side's element is within its tolerance of the exact answer, and its error in ULPs. */
function verdicts(judge: ReferenceJudge, output: number, i: number, u: number, v: number): { ok: [boolean, boolean]; ulps: [number, number] } | undefined {
  const ex = judge.expected?.[output];
  if (!ex || i >= ex.values.length) return undefined;
  const exact = ex.values[i]!;
  const kind = ex.kinds[i]!;
  const magnitude = ex.magnitude?.[i] ?? Math.abs(exact);
  const acc = ex.absSum && ex.terms ? { absSum: ex.absSum[i]!, terms: ex.terms[i]! } : undefined;
  const mu = measureError(u, exact, kind);
  const mv = measureError(v, exact, kind);
  const ok: [boolean, boolean] = [
    withinTolerance(mu, judge.tolerances[0], exact, magnitude, 0, acc),
    withinTolerance(mv, judge.tolerances[1], exact, magnitude, 0, acc),
  ];
  [u, v].forEach((got, side) => {
    const alt = judge.flushed?.[side]?.expected?.[output];
    if (ok[side] || !alt || i >= alt.values.length) return;
    const x = alt.values[i]!;
    const altAcc = alt.absSum && alt.terms ? { absSum: alt.absSum[i]!, terms: alt.terms[i]! } : undefined;
    ok[side] = withinTolerance(
      measureError(got, x, alt.kinds[i]!),
      withFlushAllowance(judge.tolerances[side]!),
      x,
      alt.magnitude?.[i] ?? Math.abs(x),
      0,
      altAcc,
    );
  });
  return { ok, ulps: [mu.ulps, mv.ulps] };
}

/**
 * Compare the outcomes of backends `names[0]` (baseline) and `names[1]` on the same inputs.
 *
 * With a `judge` (the property's exact reference), output elements are judged against the exact
 * answer: two backends disagree on an element only when one is within its tolerance and the other
 * is not (both within: rounding noise, not reported; both out: each backend's own finding, which
 * `check` reports). Elements without an exact answer (gradients) are compared with each other
 * within `tolerance`, and the disagreement says it was not judged.
 */
export function compareOutcomes(
  a: Outcome,
  b: Outcome,
  names: readonly [string, string],
  tolerance: AgreementTolerance = DEFAULT_TOLERANCE,
  judge?: ReferenceJudge,
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
  if (judge?.agreement === 'finiteness' && judge.expected === undefined && judge.gradients === undefined) return finitenessOnly(ta, tb, names, stats);
  const structure = (message: string): OutcomeComparison => ({ stats, bothThrew: false, disagreement: { kind: 'structure', backends: names, message } });
  const na = ta.map((t) => t.name).join(', ');
  const nb = tb.map((t) => t.name).join(', ');
  if (na !== nb) return structure(`different outputs: ${names[0]} gave ${na}, ${names[1]} gave ${nb}`);

  let finite: { element: ElementDiff; at: string; side?: string; wrong?: string } | undefined;
  let finiteCount = 0;
  let worst: { element: ElementDiff; at: string; wrong?: string; err?: number } | undefined;
  let beyond = 0;
  let size = 0;
  const outputs = a.observation.outputs.length;
  for (let k = 0; k < ta.length; k++) {
    const x = ta[k]!;
    const y = tb[k]!;
    const expectedGradient = k >= outputs && x.wrt !== undefined ? judge?.gradients?.get(x.wrt) : undefined;
    const peak = expectedGradient ? gradientPeak(expectedGradient) : 0;
    const judged = judge !== undefined && ((k < outputs && judge.expected?.[k] !== undefined) || expectedGradient !== undefined);
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
      const d = agreementDistance(u, v);
      if (fu === fv) {
        stats.compared++;
        stats.histogram[ulpBucket(d)]++;
        if (d > 0) stats.differing++;
        if (d > stats.maxUlps) stats.maxUlps = d;
      }
      if (judged) {
        if (d === 0) continue;
        const j = expectedGradient ? gradientVerdicts(judge!, expectedGradient, peak, i, u, v, x.wrt) : verdicts(judge!, k, i, u, v);
        if (!j || j.ok[0] === j.ok[1]) continue; // no exact answer (undefined there), both right (rounding noise), or both wrong (each backend's own finding) // both right (rounding noise), or both wrong (each backend's own finding)
        const wrong = j.ok[0] ? names[1] : names[0];
        const err = Math.max(j.ulps[0], j.ulps[1]);
        if (fu !== fv) {
          finiteCount++;
          if (!finite) finite = { element: element(Infinity), at: where(x, i), side: wrong, wrong };
          continue;
        }
        beyond++;
        if (!worst || err > (worst.err ?? worst.element.ulps)) worst = { element: element(d), at: where(x, i), wrong, err };
        continue;
      }
      if (judge?.agreement === 'finiteness' && fu === fv) continue; // only finiteness is compared
      if (fu !== fv) {
        finiteCount++;
        if (!finite) {
          const side = fu === 'finite' ? names[1] : fv === 'finite' ? names[0] : undefined;
          finite = { element: element(Infinity), at: where(x, i), ...(side ? { side } : {}) };
        }
        continue;
      }
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
        ...(finite.wrong ? { wrong: finite.wrong } : {}),
        message: `${finite.at}: ${names[0]} ${formatNumber(u)}, ${names[1]} ${formatNumber(v)}${more}${finite.wrong ? `; ${finite.wrong} is wrong` : ''}`,
      },
    };
  }
  if (worst) {
    const [u, v] = worst.element.values;
    const exact = !Number.isFinite(worst.element.ulps) || ta.find((t) => t.name === worst!.element.tensor)!.dtype !== 'float32';
    const apart = exact ? `differ by ${worst.element.ulps}` : `${worst.element.ulps} ULPs apart`;
    const more = beyond > 1 ? `; ${beyond} of ${size} elements ${worst.wrong ? 'judged' : 'beyond tolerance'}` : '';
    const verdict = worst.wrong ? `${worst.wrong} is out of its tolerance of the exact answer` : `tolerance ${tolerance.ulps}`;
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
        ...(worst.wrong ? { wrong: worst.wrong } : {}),
        message: `${worst.at}: ${names[0]} ${formatNumber(u)}, ${names[1]} ${formatNumber(v)} (${apart}, ${verdict}${more})`,
      },
    };
  }
  return { stats, bothThrew: false };
}

/** The first non-finite float32 element of some tensor, if any. */
function firstNonFinite(ts: readonly ReadTensor[]): { t: ReadTensor; i: number } | undefined {
  for (const t of ts) {
    if (t.dtype !== 'float32') continue;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) return { t, i };
  }
  return undefined;
}

/**
 * Outcomes that amplify rounding (a training run) agree when both stayed finite or both did not:
 * a value, the step at which a run diverged or NaN against Infinity tell nothing about the backends.
 */
function finitenessOnly(ta: readonly ReadTensor[], tb: readonly ReadTensor[], names: readonly [string, string], stats: UlpStats): OutcomeComparison {
  const na = firstNonFinite(ta);
  const nb = firstNonFinite(tb);
  if ((na === undefined) === (nb === undefined)) return { stats, bothThrew: false };
  const bad = (na ?? nb)!;
  const side = na ? names[0] : names[1];
  const other = (na ? tb : ta).find((t) => t.name === bad.t.name);
  const value = bad.t.data[bad.i]!;
  const otherValue = other && bad.i < other.data.length ? other.data[bad.i]! : NaN;
  const values: [number, number] = na ? [value, otherValue] : [otherValue, value];
  return {
    stats,
    bothThrew: false,
    disagreement: {
      kind: 'finiteness',
      backends: names,
      element: { tensor: bad.t.name, index: bad.i, coords: coordsOf(bad.t.shape, bad.i), values, ulps: Infinity },
      side,
      message: `${where(bad.t, bad.i)}: ${side} went non-finite (${formatNumber(value)}) where ${side === names[0] ? names[1] : names[0]} stayed finite`,
    },
  };
}

/**
 * What "disagreeing the same way" means while shrinking: the same backends, the same kind, the
 * same tensor, and for `throws` / `finiteness` the same side.
 */
/** The identity of a disagreement: the engine shrinks while the backends disagree this same way. */
export function disagreementKey(d: Disagreement): FailureKey {
  const side = d.side ?? d.wrong;
  return { kind: 'disagreement', how: d.kind, backends: d.backends, tensor: d.element?.tensor ?? '', ...(side !== undefined ? { side } : {}) };
}
