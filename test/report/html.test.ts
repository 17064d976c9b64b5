// The HTML report, statically and in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; .ci/run installs it). The browser test takes a screenshot into a temporary directory.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Browser, Page } from 'playwright-core';
import { evaluateGate, type GateResult } from '../../src/gate/gate.ts';
import { htmlReport } from '../../src/report/html.ts';
import { errorPlotSvg, inputScale, MARKED_POINTS, thinSamples, tickLabel } from '../../src/report/plot.ts';
import type { PropertyResult } from '../../src/property/runner.ts';
import { fixtureResults, unsupportedResult } from './fixture-results.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const info = { nanhunt: '0.1.0', tfjs: tf.version.tfjs, backend: 'cpu', seed: 0 };

let results: PropertyResult[];
let gate: GateResult;
let html: string;

beforeAll(() => {
  results = [...fixtureResults(), unsupportedResult()];
  gate = evaluateGate(results, {
    file: 'nanhunt.baseline.json',
    entries: [
      { property: 'gate subject throws', error: 'subject', line: 5 },
      { property: 'gate abs is finite', invariant: 'finite', line: 6 },
    ],
  });
  html = htmlReport(results, gate, { info, context: { globalSeed: 0 }, generatedAt: '2025-01-02T03:04:05.000Z' });
});

describe('index.html (static)', () => {
  it('is one self-contained page: no external resource, a CSP that forbids the network', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    // the only URL is the SVG namespace, which is a name, not a request
    expect([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0])).toEqual(expect.arrayContaining(['http://www.w3.org/2000/svg']));
    expect(new Set([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('has every property in the table, each finding with its minimal case and replay command, escaped', () => {
    for (const r of results) expect(html).toContain(`<tr data-name="${r.name.replace(/"/g, '&quot;')}"`);
    expect(html).toContain('x: Tensor float32 [1] [89]');
    expect(html).toMatch(/npx nanhunt check --filter &#39;gate exp is finite&#39; --seed 0 --path [\d:]+ --backend cpu/);
    expect(html).toContain('shape mismatch &lt;b&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<b> & "quotes"');
    expect(html).toContain('first non-finite value born in kernel #0 Exp(x=[1] 89) -&gt; [1] Infinity');
    expect(html).toMatch(/Check failed: 2 new findings/);
    expect(html).toContain('gate abs is finite&#39; (invariant finite)');
  });
});

describe('error plots', () => {
  it('uses a linear axis for a narrow range and the float32 order for inputs spanning magnitudes', () => {
    expect(inputScale([1, 2, 3, 10]).kind).toBe('linear');
    expect(inputScale([0, 0.5, 2]).kind).toBe('linear');
    const wide = inputScale([-1e-30, 0, 1e-40, 1e-10, 3, 1e30]);
    expect(wide.kind).toBe('float32-order');
    expect(wide.position(-1e-30)).toBeLessThan(wide.position(0));
    expect(wide.position(1e-10)).toBeLessThan(wide.position(3));
    expect(wide.ticks.length).toBeGreaterThan(2);
    expect(wide.ticks.length).toBeLessThanOrEqual(9);
    expect(wide.ticks.map((t) => t.value)).toEqual([...wide.ticks.map((t) => t.value)].sort((a, b) => a - b));
    expect([tickLabel(0), tickLabel(1e-30), tickLabel(-1e10), tickLabel(100), tickLabel(2.5e7)]).toEqual(['0', '1e-30', '-1e10', '100', '2.5e7']);
  });

  it('draws sampled points and a mean line, keeping the worst points when it thins them', () => {
    const samples = Array.from({ length: 3000 }, (_, i) => ({ input: 10 ** ((i % 60) - 30), bits: i === 1234 ? 31 : (i % 7) / 2, ulps: 0 }));
    const thin = thinSamples(samples, 500);
    expect(thin.length).toBe(500);
    expect(thin).toContain(samples[1234]);
    const svg = errorPlotSvg(samples, { title: 'x' });
    expect(svg).toContain('data-scale="float32-order"');
    // 400 points by default: dots of one path, and the worst of them again as circles with a tooltip
    expect(svg).toContain('data-points="400"');
    expect((svg.match(/h0/g) ?? []).length).toBe(400);
    expect((svg.match(/<circle /g) ?? []).length).toBe(MARKED_POINTS);
    expect(svg).toContain('<title>input 10000: 31.00 bits (0 ulps)</title>'); // samples[1234], the worst
    expect((errorPlotSvg(samples, { maxPoints: 100 }).match(/h0/g) ?? []).length).toBe(100);
    expect(svg).toMatch(/<path class="mean" d="M[\d.]+,[\d.]+( [ML][\d.]+,[\d.]+)+"/);
    expect(errorPlotSvg(samples.slice(0, 5))).not.toContain('class="mean"'); // too few samples for a mean
    expect(errorPlotSvg([])).toBe('');
    // non-finite errors are drawn at the top, marked
    expect(errorPlotSvg([{ input: 1, bits: Infinity, ulps: Infinity }])).toContain('class="pt nf"');
  });
});

describe.skipIf(!HAS_CHROMIUM)(`index.html in headless Chromium${HAS_CHROMIUM ? '' : ' (SKIPPED: /usr/bin/chromium is missing; .ci/run installs it)'}`, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  let url: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const dir = mkdtempSync(path.join(tmpdir(), 'nanhunt-html-'));
    const file = path.join(dir, 'index.html');
    writeFileSync(file, html);
    url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  const column = (i: number) =>
    page.$$eval('#properties-table tbody tr', (rows, i) => rows.map((r) => (r as HTMLTableRowElement).cells[i]!.getAttribute('data-value')!), i);

  it('loads with no console errors and makes no request but its own file', async () => {
    expect(await page.title()).toBe('nanhunt: 2 failing');
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it('lists every property in the table', async () => {
    const names = await page.$$eval('#properties-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.name));
    expect(names).toEqual(results.map((r) => r.name));
    const statuses = await page.$$eval('#properties-table tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    expect(statuses).toEqual(['passed', 'new finding', 'errored (known)', 'expected failure', 'passed', 'new finding', 'unsupported']);
  });

  it('sorts the table by a column when its header is clicked, both ways', async () => {
    const runsHeader = page.locator('#properties-table th', { hasText: 'Runs' });
    await runsHeader.click();
    const up = (await column(3)).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(await runsHeader.getAttribute('aria-sort')).toBe('ascending');
    await runsHeader.click();
    const down = (await column(3)).map(Number);
    expect(down).toEqual([...up].sort((a, b) => b - a));
    expect(await runsHeader.getAttribute('aria-sort')).toBe('descending');
    await page.locator('#properties-table th', { hasText: 'Property' }).click();
    const names = await column(0);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(names).not.toEqual(results.map((r) => r.name));
    await page.locator('#properties-table th', { hasText: 'Status' }).click();
    const first = await page.$eval('#properties-table tbody tr', (r) => (r as HTMLElement).dataset.verdict);
    expect(first).toBe('new');
    expect(problems).toEqual([]);
  });

  it('draws an error-versus-input plot with points inside its frame, and saves a screenshot (to a temporary directory)', async () => {
    const plot = page.locator('figure[data-name="gate naive log1p error (measured)"] svg.error-plot');
    await expect(plot.count()).resolves.toBe(1);
    const geometry = await plot.evaluate((svg) => {
      const frame = svg.querySelector('rect.frame')!.getBoundingClientRect();
      // every dot of the points' path (its vertices) and the marked circles
      const ctm = (svg as SVGSVGElement).getScreenCTM()!;
      const dots = [...svg.querySelectorAll('path.pts')].flatMap((p) =>
        [...p.getAttribute('d')!.matchAll(/M([\d.]+) ([\d.]+)h0/g)].map((m) => {
          const q = new DOMPoint(Number(m[1]), Number(m[2])).matrixTransform(ctm);
          return { x: q.x, y: q.y, width: 0, height: 0 };
        }),
      );
      const pts = [...dots, ...[...svg.querySelectorAll('circle.pt')].map((c) => c.getBoundingClientRect())];
      const line = svg.querySelector('path.mean')!.getAttribute('d')!.trim().split(/\s+/).length;
      const inside = pts.filter(
        (p) =>
          p.x + p.width / 2 >= frame.left - 1 &&
          p.x + p.width / 2 <= frame.right + 1 &&
          p.y + p.height / 2 >= frame.top - 1 &&
          p.y + p.height / 2 <= frame.bottom + 1,
      );
      return { points: pts.length, inside: inside.length, line, scale: svg.getAttribute('data-scale'), width: frame.width };
    });
    expect(geometry.points).toBeGreaterThan(100);
    expect(geometry.inside).toBe(geometry.points);
    expect(geometry.line).toBeGreaterThan(10);
    expect(geometry.scale).toBe('float32-order');
    expect(geometry.width).toBeGreaterThan(400);
    // the worst inputs (tiny x, where 1 + x rounds to 1) sit high: some point near the top of the plot
    const maxBitsShown = await page.$eval('#properties-table tr[data-name="gate naive log1p error (measured)"] td:nth-child(6)', (td) =>
      Number(td.textContent),
    );
    expect(maxBitsShown).toBeGreaterThan(20);

    const shot = path.join(mkdtempSync(path.join(tmpdir(), 'nanhunt-html-')), 'report-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  });
});
