/**
 * Error survey of the reduction, linear-algebra, layer and shape entries of the catalog: the
 * evidence behind their rows of src/reference/tolerances.ts.
 *
 *   npx tsx bench/reduction-errors.ts [--backend cpu|wasm|node] [--samples 300] [--filter regex]
 *
 * For each entry it draws inputs from the entry's own generators (its value inputs, special values
 * and, at a few samples, its large inputs), runs the op on the backend, and compares every output
 * element with the exact reference. It prints, per entry and tolerance row:
 *
 * - `ulps`: the worst ULP error among elements whose exact answer and result are both finite and
 *   that are not accumulations (a sum that cancels can be many ULPs of its tiny answer away and
 *   still within a rounding of its terms);
 * - `acc`: the worst error of an accumulation in units of the float32 sum bound
 *   (L(n) + 1)·2^-24·Σ|terms| with blocks of 256 (ACCUMULATION allows 2 of them);
 * - `roundings`: the worst error in units of 2^-24·magnitude (what `ctol` bounds);
 *   `acc` and `roundings` count elements more than 1 ULP off whose answer is a normal float32;
 * - `beyond`: elements outside the entry's tolerance (findings: infinities where the answer is
 *   finite, NaN where it is not, or errors beyond the bound), with the worst one; the other
 *   columns measure the elements within it.
 *
 * Elements exactly right count as 0. The figures are what the rows' `measured` notes quote.
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { catalogProperties, type OpInfo } from '../src/catalog/op-info.ts';
import { withinTolerance, type ReferenceResult } from '../src/check/accuracy.ts';
import { measureError } from '../src/check/error.ts';
import { execute } from '../src/run/execute.ts';
import { useBackend } from '../src/run/backend.ts';
import { accumulationFactor, resolveTolerance, toleranceName } from '../src/reference/tolerances.ts';
import type { ExactTensor } from '../src/reference/exact.ts';
import { reductionTable } from '../properties/reductions.ts';
import { linalgTable } from '../properties/linalg.ts';
import { layerTable } from '../properties/layers.ts';
import { shapeTable } from '../properties/shapes.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const backend = opt('backend', 'cpu');
const samples = Number(opt('samples', '300'));
const filter = new RegExp(opt('filter', '.'));
const U = 2 ** -24;

await useBackend(backend);

interface Worst {
  beyondUlps: number;
  ulps: number;
  acc: number;
  roundings: number;
  beyond: number;
  elements: number;
  note: string;
}

function survey(entry: OpInfo): Worst {
  const w: Worst = { beyondUlps: -1, ulps: 0, acc: 0, roundings: 0, beyond: 0, elements: 0, note: '' };
  if (!entry.reference) return w;
  const tol = resolveTolerance(entry.reference.tolerance, backend);
  const props = catalogProperties([entry]).filter((p) => !p.tags.includes('gradient'));
  for (const p of props) {
    const n = p.tags.includes('large') ? Math.max(3, Math.round(samples / 30)) : samples;
    for (const inputs of fc.sample(p.arbitrary, { numRuns: n, seed: 7 })) {
      const o = execute(p.subject, inputs);
      if (o.kind !== 'ok') continue;
      const exact = entry.reference.exact(inputs) as ReferenceResult;
      const exps = Array.isArray(exact) ? (exact as readonly ExactTensor[]) : [exact as ExactTensor];
      o.observation.outputs.forEach((out, k) => {
        const ex = exps[k];
        if (!ex || ex.values.length !== out.data.length) return;
        let peak = 0;
        for (const v of ex.values) if (Number.isFinite(v)) peak = Math.max(peak, Math.abs(v));
        for (let i = 0; i < out.data.length; i++) {
          const got = out.data[i]!;
          const e = ex.values[i]!;
          const m = measureError(got, e, ex.kinds[i]);
          const mag = ex.magnitude?.[i] ?? Math.abs(e);
          const sum = ex.absSum !== undefined && ex.terms !== undefined && ex.absSum[i]! > 0;
          const accumulation = sum ? { absSum: ex.absSum![i]!, terms: ex.terms![i]! } : undefined;
          if (!withinTolerance(m, tol, e, mag, peak, accumulation)) {
            w.beyond++;
            if (m.ulps > w.beyondUlps) {
              w.beyondUlps = m.ulps;
              w.note = `${p.name}: got ${got}, exact ${e}${ex.kinds[i] !== 0 ? ` (${['finite', '+inf', '-inf', 'nan'][ex.kinds[i]!]})` : ''}`;
            }
            continue;
          }
          if (!Number.isFinite(got) || !Number.isFinite(Math.fround(e)) || ex.kinds[i] !== 0) continue;
          w.elements++;
          // ULPs mean little where a sum cancels (the answer is tiny next to its terms): accumulations are measured by `acc`
          if (!sum && m.ulps > w.ulps) w.ulps = m.ulps;
          // errors of a rounding or less, and results in the subnormal range (where ulps and atol decide), are not measured relatively
          if (m.ulps <= 1 || Math.abs(e) < 2 ** -126) continue;
          if (mag > 0 && Number.isFinite(mag)) w.roundings = Math.max(w.roundings, m.absError / (U * mag));
          if (sum) w.acc = Math.max(w.acc, m.absError / (accumulationFactor(ex.terms![i]!, 256) * U * ex.absSum![i]!));
        }
      });
    }
  }
  return w;
}

const fmt = (x: number): string => (x === 0 ? '0' : x >= 100 ? x.toExponential(2) : x.toPrecision(3));
console.log(
  `backend ${backend}, ${samples} samples per property (large: ${Math.max(3, Math.round(samples / 30))}), tfjs ${tf.version.tfjs}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(['entry', 'row', 'elements', 'ulps', 'acc', 'roundings', 'beyond', 'worst beyond'].join(' | '));
for (const entry of [...reductionTable, ...linalgTable, ...layerTable, ...shapeTable]) {
  if (!filter.test(entry.name) || !entry.reference) continue;
  const w = survey(entry);
  const row = toleranceName(entry.reference.tolerance) ?? '?';
  console.log([entry.name, row, w.elements, fmt(w.ulps), fmt(w.acc), fmt(w.roundings), w.beyond, w.note.slice(0, 140)].join(' | '));
}
