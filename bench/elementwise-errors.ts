/**
 * Accuracy survey of the elementwise catalog entries (properties/unary.ts, binary.ts,
 * compositions.ts, activations.ts) on one backend: how the rows of src/reference/tolerances.ts
 * for these ops were measured.
 *
 *   npx tsx bench/elementwise-errors.ts                       cpu, 2,000 cases per property
 *   npx tsx bench/elementwise-errors.ts --backend wasm --samples 500 --filter '^(sin|cos)'
 *
 * For every property of those entries (value, special values, gradient, gradient special values)
 * it draws cases from the entry's own generators (seed 1), runs the op, and compares every element
 * with the exact reference (or derivative): elements checked, elements out of the entry's tolerance
 * on this backend, the worst error in ULPs with its got / exact values, and the worst error in
 * float32 roundings of the condition magnitude (|error| / (2^-24·magnitude), what `ctol` bounds).
 */
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import type { OpInfo } from '../src/catalog/op-info.ts';
import { compareToReference } from '../src/check/accuracy.ts';
import { compareGradients } from '../src/check/gradient.ts';
import { execute } from '../src/run/execute.ts';
import { useBackend } from '../src/run/backend.ts';
import { resolveTolerance, type OpTolerance } from '../src/reference/tolerances.ts';
import { TOLERANCES } from '../src/reference/index.ts';
import { unaryTable } from '../properties/unary.ts';
import { binaryTable } from '../properties/binary.ts';
import { compositionTable } from '../properties/compositions.ts';
import { activationTable } from '../properties/activations.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const backend = arg('--backend', 'cpu');
const samples = Number(arg('--samples', '2000'));
const filter = new RegExp(arg('--filter', '.'));

interface Row {
  property: string;
  elements: number;
  out: number;
  worstUlps: number;
  worstAt: string;
  worstRoundings: number;
  errors: number;
}

const fmt = (v: number): string =>
  Object.is(v, -0)
    ? '-0'
    : Number.isFinite(v)
      ? String(Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(6) : +v.toPrecision(8))
      : String(v);

function survey(entry: OpInfo, kind: 'value' | 'special' | 'gradient' | 'gradient special'): Row | undefined {
  const g = entry.gradient === true ? {} : entry.gradient || undefined;
  const inputs = kind === 'value' ? entry.inputs : kind === 'special' ? entry.special : kind === 'gradient' ? g && (g.inputs ?? entry.inputs) : g?.special;
  if (!inputs) return undefined;
  if (kind.startsWith('gradient') ? !g?.derivative : !entry.reference) return undefined;
  const name = kind === 'value' ? entry.name : `${entry.name} ${kind}`;
  if (!filter.test(name)) return undefined;
  const arb = inputs instanceof fc.Arbitrary ? inputs : fc.record(inputs as Record<string, fc.Arbitrary<unknown>>);
  const row: Row = { property: name, elements: 0, out: 0, worstUlps: 0, worstAt: '', worstRoundings: 0, errors: 0 };
  for (const input of fc.sample(arb, { seed: 1, numRuns: samples })) {
    const outcome = execute(entry.op, input, { gradients: kind.startsWith('gradient') });
    if (outcome.kind !== 'ok') {
      row.errors++;
      continue;
    }
    const obs = outcome.observation;
    if (kind.startsWith('gradient')) {
      const tolerance = (g!.tolerance ?? TOLERANCES.gradient) as OpTolerance;
      const r = compareGradients(input, obs.gradients, { derivative: g!.derivative!, tolerance, backend });
      row.elements += r.checked;
      row.out += r.failures;
      const w = r.worst;
      if (w && w.ulps > row.worstUlps) {
        row.worstUlps = w.ulps;
        row.worstAt = `${w.input}[${w.index}]: got ${fmt(w.got)}, exact ${fmt(w.expected)}`;
      }
    } else {
      const tol = resolveTolerance(entry.reference!.tolerance as OpTolerance, backend);
      const exact = entry.reference!.exact(input);
      const c = compareToReference(obs.outputs, exact, tol);
      row.elements += c.checked;
      row.out += c.failures;
      const w = c.worst;
      if (w && w.ulps > row.worstUlps) {
        row.worstUlps = w.ulps;
        row.worstAt = `[${w.index}]: got ${fmt(w.got)}, exact ${fmt(w.exact)}`;
      }
      if (w && w.ulps > 0 && Number.isFinite(w.absError) && w.magnitude > 0) {
        row.worstRoundings = Math.max(row.worstRoundings, w.absError / (2 ** -24 * w.magnitude));
      }
    }
  }
  return row;
}

await useBackend(backend);
console.log(`elementwise accuracy survey: tfjs ${tf.version.tfjs} ${tf.getBackend()}, ${samples} cases per property, seed 1`);
const rows: Row[] = [];
for (const entry of [...unaryTable, ...binaryTable, ...compositionTable, ...activationTable]) {
  for (const kind of ['value', 'special', 'gradient', 'gradient special'] as const) {
    const r = survey(entry, kind);
    if (r) {
      rows.push(r);
      console.log(
        [r.property, `${r.elements} elements`, `${r.out} out of tolerance`, `worst ${r.worstUlps} ulps ${r.worstAt}`, r.errors ? `${r.errors} errors` : '']
          .filter(Boolean)
          .join(' | '),
      );
    }
  }
}
console.log(`numTensors ${tf.memory().numTensors}`);
