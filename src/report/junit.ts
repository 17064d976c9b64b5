/**
 * JUnit XML, the format CI systems (GitHub Actions reporters, GitLab, Jenkins, Azure) ingest:
 * one <testcase> per property.
 *
 * - a new finding: <failure> (an invariant broke) or <error> (the subject errored); the message
 *   carries the broken invariant and the minimal case, the body the full report with the replay
 *   command;
 * - a known finding (listed in the baseline): <skipped> with the same message, so it is visible
 *   but does not fail the build;
 * - with --strict, a passing property still listed in the baseline: <failure type="baseline">;
 * - a shipped example of a bug that failed as expected: passes, the report in <system-out>;
 * - a status the gate does not count (e.g. unsupported): <skipped>.
 */
import { hostname } from 'node:os';
import type { PropertyResult } from '../property/runner.ts';
import type { GateResult } from '../gate/gate.ts';
import { describeEntry } from '../gate/baseline.ts';
import { failureReports, formatInputs, type InputFormatter, type ReportContext } from './format.ts';
import type { RunInfo } from './json.ts';
import { otherStatusText } from './progress.ts';

/** Escape text for XML content and attribute values; drop characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Body text: like xmlEscape but keeps line breaks readable. */
function xmlText(text: string): string {
  return xmlEscape(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** One line: the broken invariant and the minimal case, e.g. `finite: output is +Infinity; minimal input: x: Tensor float32 [1] [89]`. */
export function junitFailureMessage(r: PropertyResult, formatters: readonly InputFormatter[] = []): string {
  const f = r.failure;
  const what = !f ? r.status : f.kind === 'violation' ? `${f.violation.invariant}: ${f.violation.message}` : `error (${f.stage}): ${f.message}`;
  if (r.counterexample === undefined) return what;
  const input = formatInputs(r.counterexample, '', formatters)
    .map((l) => l.trim())
    .join(', ');
  return `${what}; minimal input: ${input.length > 2000 ? `${input.slice(0, 2000)}…` : input}`;
}

export interface JunitOptions {
  readonly info: RunInfo;
  readonly context?: ReportContext;
  /** Time stamp of the run (ISO); default now. */
  readonly timestamp?: string;
}

/** The JUnit XML document of a check. */
export function junitXml(results: readonly PropertyResult[], gate: GateResult, options: JunitOptions): string {
  const { info, context = {} } = options;
  const stale = new Map<PropertyResult, string[]>();
  if (gate.strict) {
    for (const e of gate.fixed)
      stale.set(e.result!, [...(stale.get(e.result!) ?? []), `${describeEntry(e.entry)}: ${e.reason ?? 'its saved case passes now'}`]);
  }
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const cases = results.map((r, i) => {
    const verdict = gate.verdicts[i]!;
    const head = `<testcase${attrs({ name: r.name, classname: `nanhunt.${r.backend}`, time: seconds(r.durationMs) })}`;
    const body: string[] = [];
    if (verdict === 'new') {
      const tag = r.status === 'errored' ? 'error' : 'failure';
      if (tag === 'error') errors++;
      else failures++;
      const type = r.failure?.kind === 'violation' ? r.failure.violation.invariant : `error:${r.failure?.kind === 'error' ? r.failure.stage : r.status}`;
      body.push(`<${tag}${attrs({ message: junitFailureMessage(r, context.formatters), type })}>${xmlText(failureReports(r, context).join('\n\n'))}</${tag}>`);
    } else if (verdict === 'known') {
      skipped++;
      body.push(`<skipped${attrs({ message: `known finding (in baseline ${gate.baselineFile}): ${junitFailureMessage(r, context.formatters)}` })}/>`);
      body.push(`<system-out>${xmlText(failureReports(r, context).join('\n\n'))}</system-out>`);
    } else if (verdict === 'other') {
      skipped++;
      body.push(`<skipped${attrs({ message: otherStatusText(r) })}/>`);
    } else if (stale.has(r)) {
      failures++;
      const listed = stale.get(r)!.join(', ');
      body.push(
        `<failure${attrs({ message: `fixed, but still listed in baseline ${gate.baselineFile} (--strict): ${listed}; remove the entry (npx nanhunt baseline)`, type: 'baseline' })}/>`,
      );
    } else if (verdict === 'expected') {
      body.push(`<system-out>${xmlText(`Expected failure (a shipped example of a bug):\n${failureReports(r, context).join('\n\n')}`)}</system-out>`);
    }
    return body.length === 0 ? `    ${head}/>` : `    ${head}>\n${body.map((b) => `      ${b}`).join('\n')}\n    </testcase>`;
  });
  const total = results.reduce((t, r) => t + r.durationMs, 0);
  const counts = { tests: results.length, failures, errors, skipped, time: seconds(total) };
  const timestamp = (options.timestamp ?? new Date().toISOString()).replace(/\.\d+Z$/, '');
  const props = {
    nanhunt: info.nanhunt,
    tfjs: info.tfjs,
    backend: info.backend,
    seed: String(info.seed),
    ...(info.runs !== undefined ? { runs: String(info.runs) } : {}),
    ...(info.browser ? { chromium: info.browser.chromium, 'webgl-f16': info.browser.webglF16 ? 'on' : 'off', 'webgl-pack': info.browser.webglPack } : {}),
    ...(gate.baselineFile ? { baseline: gate.baselineFile } : {}),
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'nanhunt', ...counts })}>`,
    `  <testsuite${attrs({ name: `nanhunt (backend ${info.backend}, seed ${info.seed})`, ...counts, timestamp, hostname: hostname() })}>`,
    '    <properties>',
    ...Object.entries(props).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
