/**
 * Accuracy survey of the catalog's entries on a browser backend: how the `webgl` rows of
 * src/reference/tolerances.ts were measured. The survey (bench/survey.ts) runs inside the page.
 *
 *   npx tsx bench/browser-errors.ts                                webgl, 300 cases per property
 *   npx tsx bench/browser-errors.ts --samples 1000 --filter '^(sin|cos)'
 *   options: --backend webgl|webgpu --f16 --pack on|off
 *
 * One line per property: elements checked, out of the tolerance row on that backend, the worst
 * error in ULPs (with got / exact) and in float32 roundings of the condition magnitude; then per
 * tolerance row the worst figures over its properties.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserSession } from '../src/browser/session.ts';
import type { BrowserBackendName } from '../src/run/backend.ts';
import { SCALES, type SurveyRow } from './survey.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const backend = arg('--backend', 'webgl') as BrowserBackendName;
const samples = Number(arg('--samples', '300'));
const filter = arg('--filter', '.');
const pack = arg('--pack', '');
const SURVEY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'survey.ts');

const session = await BrowserSession.open({
  backend,
  backends: [backend],
  emulation: { webglF16: args.includes('--f16'), ...(pack ? { webglPack: pack === 'on' } : {}) },
  files: [SURVEY],
});
const started = performance.now();
let rows: SurveyRow[];
try {
  rows = await session.call<SurveyRow[]>(0, 'surveyTable', backend, samples, filter);
} finally {
  await session.close();
}
console.log(
  `accuracy survey on ${backend} (Chromium ${session.info.chromium}, ${JSON.stringify(session.info.flags)}), ${samples} cases per property, seed 1, ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
for (const r of rows) {
  console.log(
    [
      r.property,
      `row ${r.row}`,
      `${r.elements} elements`,
      `${r.out} out of tolerance`,
      `out with atol 2^-126 and ulps/ctol x ${SCALES.join('/')}: ${r.outScaled.join('/')}`,
      `worst ${r.worstUlps} ulps ${r.worstAt}`,
      `${r.worstRoundings.toPrecision(3)} roundings`,
      r.errors ? `${r.errors} errors` : '',
    ]
      .filter(Boolean)
      .join(' | '),
  );
}
const byRow = new Map<string, SurveyRow[]>();
for (const r of rows) byRow.set(r.row, [...(byRow.get(r.row) ?? []), r]);
console.log('\nper tolerance row: elements out / checked, properties with any out');
for (const [row, list] of byRow) {
  const out = list.reduce((a, r) => a + r.out, 0);
  const n = list.reduce((a, r) => a + r.elements, 0);
  const sc = SCALES.map((_, i) => list.reduce((a, r) => a + r.outScaled[i]!, 0));
  console.log(
    `  ${row}: ${out} / ${n} (scaled x ${SCALES.join('/')}: ${sc.join('/')}); ${
      list
        .filter((r) => r.out > 0)
        .map((r) => `${r.property} (${r.out})`)
        .join(', ') || 'none'
    }`,
  );
}
