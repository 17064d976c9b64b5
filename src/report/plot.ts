/**
 * Error-versus-input plots as inline SVG, drawn the way Herbie draws them: bits of error
 * (log2(1 + ulps), 0 exact, 32 garbage) against the input, sampled points plus a line of the
 * mean error across the input range.
 *
 * Inputs that span many magnitudes (1e-45 to 3e38, both signs) are placed on the float32 order:
 * the position of the value among all float32 values. That axis is logarithmic across binades,
 * linear inside each, and keeps 0, subnormals and negatives in view. Inputs within three decades
 * of each other use a plain linear axis.
 */
import type { ErrorSample } from '../check/invariant.ts';
import { float32Ordinal } from '../core/float32.ts';

export interface PlotOptions {
  readonly width?: number;
  readonly height?: number;
  /** Accessible title of the figure. */
  readonly title?: string;
  /** Most points drawn (the worst points are always kept). Default 400. */
  readonly maxPoints?: number;
}

export interface Scale {
  readonly kind: 'linear' | 'float32-order';
  /** Value → position on the axis (before mapping to pixels). */
  readonly position: (x: number) => number;
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly { readonly value: number; readonly label: string }[];
}

/** Format a tick value: `0`, `0.5`, `100`, `1e-30`, `-1e10`. */
export function tickLabel(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e4) return String(Number(x.toPrecision(6)));
  const e = Math.floor(Math.log10(a));
  const m = Number((x / 10 ** e).toPrecision(3));
  return `${m === 1 ? '' : m === -1 ? '-' : `${m}×`}1e${e}`.replace('×1e', 'e');
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** The x scale for these inputs (finite values only). */
export function inputScale(inputs: readonly number[]): Scale {
  let min = Infinity;
  let max = -Infinity;
  let minAbs = Infinity;
  let maxAbs = 0;
  for (const x of inputs) {
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    const a = Math.abs(x);
    if (a > 0 && a < minAbs) minAbs = a;
    if (a > maxAbs) maxAbs = a;
  }
  if (min > max) {
    min = -1;
    max = 1;
  }
  if (maxAbs === 0 || maxAbs / minAbs < 1e3) {
    if (min === max) {
      const pad = Math.abs(min) * 0.1 || 1;
      min -= pad;
      max += pad;
    }
    const step = niceStep(max - min, 6);
    const ticks = [];
    for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
      const v = Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12));
      ticks.push({ value: v, label: tickLabel(v) });
    }
    return { kind: 'linear', position: (x) => x, lo: min, hi: max, ticks };
  }
  const position = (x: number) => float32Ordinal(Math.fround(x));
  const lo = position(min);
  let hi = position(max);
  if (lo === hi) hi = lo + 1;
  // ticks at 0 and at ±powers of ten, thinned to at most ~9
  const candidates: number[] = [];
  for (let k = -45; k <= 38; k++) candidates.push(10 ** k, -(10 ** k));
  candidates.push(0);
  const inRange = candidates.filter((v) => {
    const p = position(v);
    return p >= lo && p <= hi;
  });
  let chosen = inRange;
  for (const every of [1, 2, 3, 5, 10, 15, 20, 40]) {
    chosen = inRange.filter((v) => v === 0 || Math.round(Math.log10(Math.abs(v))) % every === 0);
    if (chosen.length <= 9) break;
  }
  chosen.sort((a, b) => a - b);
  return { kind: 'float32-order', position, lo, hi, ticks: chosen.map((v) => ({ value: v, label: tickLabel(v) })) };
}

/** The bits shown for a sample: NaN (an unusable result) counts as the top of the axis. */
function shownBits(s: ErrorSample, top: number): number {
  return Number.isNaN(s.bits) ? top : Math.min(s.bits, top);
}

/** At most `max` samples: the worst 10% by bits, and an even spread of the rest across x. */
export function thinSamples(samples: readonly ErrorSample[], max: number): ErrorSample[] {
  const finite = samples.filter((s) => Number.isFinite(s.input));
  if (finite.length <= max) return finite;
  const byBits = [...finite].sort((a, b) => (Number.isNaN(b.bits) ? Infinity : b.bits) - (Number.isNaN(a.bits) ? Infinity : a.bits));
  const worst = byBits.slice(0, Math.floor(max / 10));
  const keep = new Set(worst);
  const rest = finite.filter((s) => !keep.has(s)).sort((a, b) => a.input - b.input);
  const room = max - worst.length;
  for (let i = 0; i < room; i++) keep.add(rest[Math.floor((i * rest.length) / room)]!);
  return finite.filter((s) => keep.has(s));
}

/** The worst points drawn as circles with a tooltip (the others are dots of one path). */
export const MARKED_POINTS = 8;

/** Fewest samples for which the mean line is drawn. */
export const MIN_POINTS_FOR_LINE = 20;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r2 = (x: number) => Math.round(x * 10) / 10;

/** The SVG of one error-versus-input plot. Empty string when there is nothing to draw. */
export function errorPlotSvg(samples: readonly ErrorSample[], options: PlotOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 260;
  const points = thinSamples(samples, options.maxPoints ?? 400);
  if (points.length === 0) return '';
  const m = { left: 52, right: 18, top: 14, bottom: 44 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const scale = inputScale(points.map((s) => s.input));
  let maxBits = 0;
  for (const s of points) if (Number.isFinite(s.bits) && s.bits > maxBits) maxBits = s.bits;
  const nonFinite = points.some((s) => !Number.isFinite(s.bits));
  const top = [1, 2, 4, 8, 16, 24, 32, 64].find((t) => t >= (nonFinite ? 32 : maxBits)) ?? Math.ceil(maxBits);
  const px = (x: number) => m.left + ((scale.position(x) - scale.lo) / (scale.hi - scale.lo)) * pw;
  const py = (bits: number) => m.top + ph - (bits / top) * ph;

  const out: string[] = [];
  const label = options.title ? `${options.title}: bits of error versus input` : 'bits of error versus input';
  out.push(
    `<svg class="error-plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}" data-scale="${scale.kind}" data-points="${points.length}">`,
  );
  out.push(`<title>${esc(label)}</title>`);
  // grid and y axis
  const yStep = top <= 4 ? 1 : top / 4;
  for (let b = 0; b <= top + 1e-9; b += yStep) {
    const y = r2(py(b));
    out.push(`<line class="grid" x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}"/>`);
    out.push(`<text class="tick" x="${m.left - 6}" y="${y + 4}" text-anchor="end">${b}</text>`);
  }
  // x ticks, 0 first, none closer than 44 px to another (labels would collide)
  const placed: number[] = [];
  const byPriority = [...scale.ticks].sort((a, b) => Number(b.value === 0) - Number(a.value === 0));
  for (const t of byPriority) {
    const x = r2(px(t.value));
    if (placed.some((p) => Math.abs(p - x) < 44)) continue;
    placed.push(x);
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}"/>`);
    out.push(`<text class="tick" x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  out.push(`<rect class="frame" x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/>`);
  out.push(
    `<text class="axis" x="${m.left + pw / 2}" y="${height - 6}" text-anchor="middle">input${scale.kind === 'float32-order' ? ' (float32 order: logarithmic across magnitudes, through 0)' : ''}</text>`,
  );
  out.push(`<text class="axis" transform="translate(13 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">bits of error</text>`);
  // points: one path of round dots per class (a few bytes a point, so a report of many plots stays
  // small), and the worst few again as circles whose tooltip gives their figures
  out.push('<g class="points">');
  for (const nf of [false, true]) {
    const dots = points.filter((s) => !Number.isFinite(s.bits) === nf).map((s) => `M${r2(px(s.input))} ${r2(py(shownBits(s, top)))}h0`);
    if (dots.length) out.push(`<path class="${nf ? 'pts nf' : 'pts'}" d="${dots.join('')}"/>`);
  }
  const rank = (s: ErrorSample) => (Number.isNaN(s.bits) ? Infinity : s.bits);
  const marked = [...points].sort((a, b) => rank(b) - rank(a)).slice(0, MARKED_POINTS);
  for (const s of marked) {
    const bad = !Number.isFinite(s.bits);
    out.push(
      `<circle class="${bad ? 'pt nf' : 'pt'}" cx="${r2(px(s.input))}" cy="${r2(py(shownBits(s, top)))}" r="2.5"><title>input ${esc(String(s.input))}: ${Number.isFinite(s.bits) ? s.bits.toFixed(2) : String(s.bits)} bits (${s.ulps} ulps)</title></circle>`,
    );
  }
  out.push('</g>');
  // mean error across the range: 64 bins along x; the line breaks over stretches without samples,
  // and is left out when there are too few samples for a mean to mean anything
  const bins = 64;
  const sum = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  for (const s of points) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((px(s.input) - m.left) / pw) * bins)));
    sum[b]! += shownBits(s, top);
    count[b]!++;
  }
  if (points.length >= MIN_POINTS_FOR_LINE) {
    const d: string[] = [];
    let last = -Infinity;
    for (let b = 0; b < bins; b++) {
      if (count[b] === 0) continue;
      d.push(`${b - last > 4 ? 'M' : 'L'}${r2(m.left + ((b + 0.5) / bins) * pw)},${r2(py(sum[b]! / count[b]!))}`);
      last = b;
    }
    out.push(`<path class="mean" d="${d.join(' ')}"/>`);
  }
  out.push('</svg>');
  return out.join('');
}
