/**
 * The HTML report: one self-contained page a person reads after a check (reports/index.html).
 *
 * No network access at all (a Content-Security-Policy forbids it): styles, the table-sorting
 * script and the plots (inline SVG, see plot.ts) are in the page. It shows the gate's verdict,
 * summary counts, a sortable table of every property, each finding with its minimal case, where
 * the first non-finite value was born and the command that replays it, baseline entries that are
 * fixed, and error-versus-input plots for properties whose invariants sampled errors.
 */
import type { PropertyResult } from '../property/runner.ts';
import type { GateResult, GateVerdict } from '../gate/gate.ts';
import { describeEntry } from '../gate/baseline.ts';
import { formatInputs, formatProvenance, plural, replayCommand, type ReportContext } from './format.ts';
import { browserText, type RunInfo } from './json.ts';
import { errorStats } from './error-stats.ts';
import { errorPlotSvg, MIN_POINTS_FOR_LINE } from './plot.ts';
import { formatElapsed, otherStatusText } from './progress.ts';

export interface HtmlOptions {
  readonly info: RunInfo;
  readonly context?: ReportContext;
  /** ISO time of the run; default now. */
  readonly generatedAt?: string;
}

/** Escape text for HTML content and attributes. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

interface Row {
  readonly r: PropertyResult;
  readonly verdict: GateVerdict;
  readonly stale: boolean;
  readonly id: string;
  /** The verdict of one of its distinct failures: new or known. */
  readonly findingVerdict?: (f: PropertyResult) => string;
}

/** Status label, CSS class and severity rank (for sorting: most urgent first). */
function statusOf(row: Row): { label: string; cls: string; rank: number } {
  const { r, verdict } = row;
  if (row.stale) return { label: 'fixed, still in baseline', cls: 'new', rank: 1 };
  switch (verdict) {
    case 'new':
      return r.status === 'errored' ? { label: 'errored (new)', cls: 'new', rank: 0 } : { label: 'new finding', cls: 'new', rank: 0 };
    case 'known':
      return { label: r.status === 'errored' ? 'errored (known)' : 'known finding', cls: 'known', rank: 2 };
    case 'other':
      return { label: r.status, cls: 'other', rank: 3 };
    case 'expected':
      return { label: 'expected failure', cls: 'expected', rank: 4 };
    default:
      return { label: 'passed', cls: 'passed', rank: 5 };
  }
}

function whatBroke(r: PropertyResult): string {
  const f = r.failure;
  if (!f) return '';
  return f.kind === 'violation' ? f.violation.invariant : `error (${f.stage})`;
}

function failureText(r: PropertyResult): string {
  if (!['passed', 'failed', 'errored'].includes(r.status)) return otherStatusText(r);
  const f = r.failure;
  if (!f) return '';
  return f.kind === 'violation' ? `${f.violation.invariant}: ${f.violation.message}` : `error (${f.stage}): ${f.message}`;
}

const fmtBits = (b: number) => (Number.isFinite(b) ? b.toFixed(1) : String(b));

function findingArticle(row: Row, context: ReportContext): string {
  const { r } = row;
  const st = statusOf(row);
  const parts: string[] = [];
  parts.push(`<article class="finding ${st.cls}" id="${row.id}">`);
  parts.push(`<h3><span class="badge ${st.cls}">${esc(st.label)}</span> ${esc(r.name)}</h3>`);
  const all = [r, ...(r.distinct ?? [])];
  all.forEach((f, i) => {
    if (all.length > 1)
      parts.push(`<h4 class="distinct">Distinct failure ${i + 1} of ${all.length}${row.findingVerdict ? ` (${esc(row.findingVerdict(f))})` : ''}</h4>`);
    parts.push(...failureDetails(f, context));
  });
  parts.push('</article>');
  return parts.join('\n');
}

/** What one failure shows: what broke, its figures, minimal input, provenance, explanation, replay. */
function failureDetails(r: PropertyResult, context: ReportContext): string[] {
  const parts: string[] = [];
  parts.push(`<p class="what">${esc(failureText(r))}</p>`);
  const d = r.failure?.kind === 'violation' ? r.failure.violation.details : undefined;
  if (d) {
    const figures = Object.entries(d).filter(([k]) => !['nonFinite', 'size'].includes(k));
    if (figures.length) {
      parts.push(`<dl class="figures">${figures.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(String(v))}</dd></div>`).join('')}</dl>`);
    }
  }
  if (r.counterexample !== undefined) {
    parts.push('<h4>Minimal input</h4>');
    parts.push(`<pre class="input">${esc(formatInputs(r.counterexample, '', context.formatters).join('\n'))}</pre>`);
  }
  if (r.provenance) {
    const lines = formatProvenance(r.provenance, '');
    if (lines.length) {
      parts.push('<h4>Where the first non-finite value was born</h4>');
      parts.push(`<pre class="provenance">${esc(lines.join('\n'))}</pre>`);
    }
  }
  if (r.explanation) {
    parts.push(`<h4>Why (the minimal case re-run exactly): ${esc(r.explanation.verdict)}</h4>`);
    parts.push(`<p class="explanation">${esc(r.explanation.text)}</p>`);
    const path = r.explanation.path ?? [];
    if (path.length > 0) {
      // the trace from the origin to the failing element: float32 next to exact, the origin marked
      const shown = path.length > 24 ? [...path.slice(0, 12), undefined, ...path.slice(-11)] : path;
      const rows = shown.map((st, i) =>
        st === undefined
          ? `<tr><td colspan="4">… ${path.length - 23} more kernels</td></tr>`
          : `<tr${i === 0 ? ' class="origin"' : ''}><td>${esc(`${st.kernel} #${st.step}`)}${i === 0 ? ' <b>← departs first</b>' : ''}</td><td class="num">${st.index}</td><td class="num">${esc(String(st.value))}</td><td class="num">${esc(String(st.exact))}</td></tr>`,
      );
      parts.push(
        `<table class="trace"><thead><tr><th>kernel</th><th>element</th><th>float32</th><th>exact</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
      );
    }
  }
  parts.push(
    `<p class="meta">backend ${esc(r.backend)} · seed ${r.seed}${r.path ? ` · path ${esc(r.path)}` : ''} · ${plural(r.runs, 'run')} · ${plural(r.shrinks, 'shrink')} · ${Math.round(r.durationMs)} ms</p>`,
  );
  parts.push('<h4>Replay</h4>');
  parts.push(`<div class="replay"><pre><code>${esc(replayCommand(r, context))}</code></pre><button type="button" class="copy">copy</button></div>`);
  return parts;
}

/** Points drawn over all error plots of a report: it keeps a report of the whole catalog small. */
export const PLOT_POINT_BUDGET = 12_000;

const STYLE = `
:root { --fg:#1d2330; --muted:#5d6675; --line:#d9dde5; --bg:#fff; --soft:#f5f7fa;
  --new:#c62828; --known:#b26a00; --passed:#2e7d32; --expected:#5b6ab0; --other:#6b7280; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
h4 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table.trace { border-collapse: collapse; font-size: 13px; margin: 4px 0; } table.trace td, table.trace th { border: 1px solid var(--line); padding: 2px 8px; } table.trace tr.origin { background: #fdecea; }
.meta { color: var(--muted); font-size: 13px; margin: 4px 0; }
.verdict { margin: 14px 0; padding: 10px 14px; border-radius: 6px; font-weight: 600; }
.verdict.fail { background: #fdecea; color: var(--new); border: 1px solid #f5c2bd; }
.verdict.ok { background: #edf7ee; color: var(--passed); border: 1px solid #c3e3c5; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.count { min-width: 110px; padding: 8px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); }
.count b { display: block; font-size: 22px; }
.count span { font-size: 12px; color: var(--muted); }
.count.new b { color: var(--new); } .count.known b { color: var(--known); } .count.passed b { color: var(--passed); }
.count.expected b { color: var(--expected); } .count.other b { color: var(--other); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); cursor: pointer; user-select: none; white-space: nowrap; position: sticky; top: 0; }
th:hover { background: #eaeef4; }
th[aria-sort=ascending]::after { content: " ▲"; font-size: 10px; }
th[aria-sort=descending]::after { content: " ▼"; font-size: 10px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th.num { text-align: right; }
td a { color: inherit; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.new { background: var(--new); } .badge.known { background: var(--known); } .badge.passed { background: var(--passed); }
.badge.expected { background: var(--expected); } .badge.other { background: var(--other); }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--other); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.finding.new { border-left-color: var(--new); } .finding.known { border-left-color: var(--known); }
.finding.expected { border-left-color: var(--expected); }
.what { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13.5px; margin: 4px 0; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; overflow-x: auto; margin: 0;
  font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.replay { display: flex; gap: 8px; align-items: stretch; }
.replay pre { flex: 1; }
button.copy { border: 1px solid var(--line); background: var(--bg); border-radius: 4px; cursor: pointer; padding: 0 10px; }
dl.figures { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0; font-size: 13px; }
dl.figures div { display: flex; gap: 6px; } dl.figures dt { color: var(--muted); } dl.figures dd { margin: 0; font-family: ui-monospace, monospace; }
figure { margin: 12px 0 24px; }
figcaption { font-size: 14px; margin-bottom: 4px; }
figcaption .meta { display: block; }
svg.error-plot { max-width: 100%; height: auto; background: var(--bg); }
svg.error-plot .grid { stroke: #e6e9ef; stroke-width: 1; }
svg.error-plot .frame { fill: none; stroke: #aab1bd; }
svg.error-plot .tick { font-size: 11px; fill: var(--muted); }
svg.error-plot .axis { font-size: 12px; fill: var(--fg); }
svg.error-plot .pt { fill: #2563eb; fill-opacity: .55; }
svg.error-plot .pt.nf { fill: var(--new); fill-opacity: .8; }
svg.error-plot .pts { fill: none; stroke: #2563eb; stroke-opacity: .55; stroke-width: 5; stroke-linecap: round; }
svg.error-plot .pts.nf { stroke: var(--new); stroke-opacity: .8; }
svg.error-plot .mean { fill: none; stroke: #b91c1c; stroke-width: 1.6; stroke-opacity: .85; stroke-linejoin: round; }
ul.entries li { margin: 4px 0; }
footer { color: var(--muted); font-size: 12px; padding: 30px 24px; }
`;

// Table sorting and the copy buttons: no dependencies, no network.
const SCRIPT = `
(function () {
  var table = document.getElementById('properties-table');
  if (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var numeric = th.getAttribute('data-type') === 'number';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-value'), y = b.cells[col].getAttribute('data-value');
          var c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (b) {
    b.addEventListener('click', function () {
      var text = b.parentNode.querySelector('code').textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { b.textContent = 'copied'; }, function () {});
    });
  });
})();
`;

/** The whole page. */
export function htmlReport(results: readonly PropertyResult[], gate: GateResult, options: HtmlOptions): string {
  const { info, context = {} } = options;
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const stale = new Set(gate.strict ? gate.fixed.map((e) => e.result) : []);
  const findingVerdict = (f: PropertyResult) => (gate.known.includes(f) ? 'known' : gate.newFindings.includes(f) ? 'new' : 'expected');
  const rows: Row[] = results.map((r, i) => ({ r, verdict: gate.verdicts[i]!, stale: stale.has(r), id: `p${i}`, findingVerdict }));
  const count = (v: GateVerdict) => rows.filter((x) => x.verdict === v).length;
  const others = count('other');
  const failing = gate.failed;

  const verdict =
    failing > 0
      ? `<div class="verdict fail">Check failed: ${gate.newFindings.length} new finding${gate.newFindings.length === 1 ? '' : 's'}${
          gate.strict && gate.fixed.length ? `, ${gate.fixed.length} fixed baseline entr${gate.fixed.length === 1 ? 'y' : 'ies'} still listed (--strict)` : ''
        }</div>`
      : `<div class="verdict ok">Check passed${gate.known.length ? ` (${gate.known.length} known finding${gate.known.length === 1 ? '' : 's'} in the baseline)` : ''}</div>`;

  const cards: [string, number, string][] = [
    ['properties', results.length, ''],
    ['passed', gate.passed, 'passed'],
    ['new findings', count('new'), 'new'],
    ['known findings', count('known'), 'known'],
    ['expected failures', count('expected'), 'expected'],
  ];
  if (gate.baselineFile) cards.push(['fixed baseline entries', gate.fixed.length, gate.strict && gate.fixed.length ? 'new' : 'passed']);
  if (others) cards.push(['other statuses', others, 'other']);

  const tableRows = rows.map((row) => {
    const { r } = row;
    const st = statusOf(row);
    const stats = errorStats(r.errorSamples);
    const detailBits = r.failure?.kind === 'violation' ? r.failure.violation.details?.bits : undefined;
    const maxBits = stats ? stats.maxBits : Number(detailBits);
    const hasBits = stats !== undefined || (detailBits !== undefined && !Number.isNaN(Number(detailBits)));
    const linked = row.verdict === 'passed' && !row.stale ? esc(r.name) : `<a href="#${row.id}">${esc(r.name)}</a>`;
    return [
      `<tr data-name="${esc(r.name)}" data-verdict="${row.verdict}">`,
      `<td data-value="${esc(r.name)}">${linked}</td>`,
      `<td data-value="${st.rank}"><span class="badge ${st.cls}">${esc(st.label)}</span></td>`,
      `<td data-value="${esc(whatBroke(r))}">${esc(whatBroke(r))}</td>`,
      `<td class="num" data-value="${r.runs}">${r.runs}</td>`,
      `<td class="num" data-value="${r.shrinks}">${r.shrinks}</td>`,
      `<td class="num" data-value="${hasBits ? (Number.isFinite(maxBits) ? maxBits : 1e9) : -1}">${hasBits ? fmtBits(maxBits) : ''}</td>`,
      `<td class="num" data-value="${r.durationMs.toFixed(3)}">${Math.round(r.durationMs)}</td>`,
      '</tr>',
    ].join('');
  });

  const order: GateVerdict[] = ['new', 'known', 'other', 'expected'];
  const findingRows = rows.filter((x) => x.verdict !== 'passed').sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict));
  const findings = findingRows.length ? findingRows.map((row) => findingArticle(row, context)).join('\n') : '<p>No property failed.</p>';

  let baselineSection = '';
  if (gate.baselineFile) {
    const items = (state: string, heading: string, note: string) => {
      const list = gate.entries.filter((e) => e.state === state);
      if (!list.length) return '';
      return `<h3>${heading} (${list.length})</h3><p class="meta">${note}</p><ul class="entries">${list
        .map(
          (e) =>
            `<li>${esc(describeEntry(e.entry))}${e.reason ? `: ${esc(e.reason)}` : ''}${e.entry.line ? ` <span class="meta">line ${e.entry.line}</span>` : ''}</li>`,
        )
        .join('')}</ul>`;
    };
    baselineSection = [
      `<section id="baseline"><h2>Baseline <span class="meta">${esc(gate.baselineFile)}${gate.strict ? ' · --strict' : ''}</span></h2>`,
      `<p>${gate.entries.length} entr${gate.entries.length === 1 ? 'y' : 'ies'}: ${gate.knownEntries.length} reproduced (${
        gate.knownEntries.filter((e) => e.by === 'case').length
      } of them by replaying their saved case), ${gate.fixed.length} fixed, ${
        gate.entries.filter((e) => e.state === 'inconclusive').length
      } inconclusive, ${gate.entries.filter((e) => e.state === 'not-run').length} not run.</p>`,
      items(
        'fixed',
        'Fixed',
        gate.strict
          ? 'Their saved case passes now (replayed), but they are still listed: with --strict they fail the check. Remove them (npx nanhunt baseline).'
          : 'Their saved case passes now (replayed): remove them from the baseline (npx nanhunt baseline).',
      ),
      items('inconclusive', 'Inconclusive', 'Their saved case fails another way now, or there is none to replay; nanhunt baseline keeps them.'),
      '</section>',
    ].join('\n');
  }

  const plotted = rows.filter((x) => (x.r.errorSamples?.length ?? 0) > 0);
  // a budget of points for the whole page, shared among the plots (100 to 400 each)
  const maxPoints = Math.max(100, Math.min(400, Math.floor(PLOT_POINT_BUDGET / Math.max(1, plotted.length))));
  const plots = plotted.length
    ? plotted
        .map(({ r }) => {
          const s = errorStats(r.errorSamples)!;
          return `<figure data-name="${esc(r.name)}"><figcaption><b>${esc(r.name)}</b><span class="meta">${s.count} samples · max ${fmtBits(s.maxBits)} bits (${s.maxUlps} ulps at input ${s.worstInput}) · mean ${s.meanBits.toFixed(2)} bits</span></figcaption>${errorPlotSvg(
            r.errorSamples!,
            { title: r.name, maxPoints },
          )}</figure>`;
        })
        .join('\n')
    : '<p class="meta">No property sampled its error against a reference in this run.</p>';

  const title = failing > 0 ? `nanhunt: ${failing} failing` : 'nanhunt: passed';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>nanhunt report</h1>
<p class="meta">nanhunt ${esc(info.nanhunt)} · tfjs ${esc(info.tfjs)} · backend ${esc(info.backend)}${info.browser ? ` (${esc(browserText(info.browser))})` : ''} · seed ${info.seed}${
    info.runs !== undefined ? ` · ${plural(info.runs, 'run')} per property` : ''
  }${info.timeBudgetMs !== undefined ? ` · time budget ${esc(formatElapsed(info.timeBudgetMs))} (runs per property below)` : ''} · ${esc(generatedAt)}</p>
${verdict}
<div class="counts">${cards.map(([label, n, cls]) => `<div class="count ${cls}"><b>${n}</b><span>${esc(label)}</span></div>`).join('')}</div>
</header>
<main>
<section id="properties">
<h2>Properties</h2>
<table id="properties-table">
<thead><tr><th data-type="text">Property</th><th data-type="number">Status</th><th data-type="text">Broken</th><th data-type="number" class="num">Runs</th><th data-type="number" class="num">Shrinks</th><th data-type="number" class="num">Max error (bits)</th><th data-type="number" class="num">Time (ms)</th></tr></thead>
<tbody>
${tableRows.join('\n')}
</tbody>
</table>
</section>
<section id="findings">
<h2>Findings</h2>
${findings}
</section>
${baselineSection}
<section id="plots">
<h2>Error versus input</h2>
<p class="meta">Bits of error (log2(1 + ULPs) against the reference; 0 is exact, 24 is no correct bit of a float32) for each sampled input. The line is the mean error across the input range (drawn from ${MIN_POINTS_FOR_LINE} samples up).</p>
${plots}
</section>
</main>
<footer>Replay a finding with the command shown under it. Generated by nanhunt; this page makes no network requests.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
