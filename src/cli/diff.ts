/**
 * `nanhunt diff`: run properties on two or more backends and report where they disagree.
 * Exit 0 when every property agreed (or is unsupported on a backend), 1 when backends disagree
 * or nothing could be compared, 2 on bad usage (unknown or missing backend included).
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_TOLERANCE, type AgreementTolerance } from '../diff/compare.ts';
import { diffAll, type DiffResult } from '../diff/differential.ts';
import { checkBackendList, prepareBackends } from '../diff/switch.ts';
import { diffDocument } from '../diff/json.ts';
import { diffClosingLine, diffReport, diffSummaryLine, toleranceText, type DiffContext } from '../diff/report.ts';
import { writeAtomic } from '../core/atomic.ts';
import { parseArgs, seedAndRuns, UsageError } from './args.ts';
import type { Io } from './check.ts';
import { loadSelection } from './select.ts';
import { trainingInputFormatter } from '../train/report.ts';
import { VERSION } from '../core/version.ts';
import { isBrowserBackend, BackendError, type BrowserBackendName } from '../run/backend.ts';
import { propertySeed } from '../property/runner.ts';
import { BrowserSession } from '../browser/session.ts';
import { browserRunInfo, browserSelection, selectionFiles } from '../browser/check.ts';
import { emulationFrom } from './emulation-flags.ts';

export const DIFF_FLAGS = {
  backends: 'string',
  seed: 'int',
  runs: 'int',
  filter: 'string',
  path: 'string',
  properties: 'string',
  json: 'string',
  ulps: 'int',
  atol: 'string',
  'webgl-f16': 'boolean',
  'webgl-pack': 'string',
} as const;

export const DIFF_SUMMARY = 'run properties on several backends and report where they disagree';

export const DIFF_USAGE = `  --backends <a,b,...>  backends to compare, the baseline first (default cpu,wasm)
  --seed <n>          global seed (default 0); each property's seed derives from it and its name
  --runs <n>          generated cases per property (default: the property's own, else 100)
  --filter <text>     only properties whose name is <text>, or else contains it
  --path <path>       replay one property's fast-check path (with the same --seed)
  --properties <dir>  load properties from this file or directory instead of the catalog
  --ulps <n>          elements more than n ULPs apart disagree (default ${DEFAULT_TOLERANCE.ulps})
  --atol <x>          ... unless they differ by at most x (default ${DEFAULT_TOLERANCE.atol})
  --json <file>       write the machine-readable diff report
  --webgl-f16, --webgl-pack <on|off>  emulation switches for webgl (as in check)

  With webgl or webgpu in the list, every backend runs inside one headless Chromium page
  (cpu is tfjs's cpu backend there; wasm and node cannot be compared with a browser backend).`;

export async function diffCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, DIFF_FLAGS);
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
  const { seed, runs } = seedAndRuns(flags);
  const backends = (flags.backends ?? 'cpu,wasm').split(',').map((b) => b.trim());
  if (backends.some((b) => b === '')) throw new UsageError(`--backends: empty name in '${flags.backends}'`);
  if (backends.length < 2) throw new UsageError(`--backends needs at least two backends, e.g. cpu,wasm`);
  checkBackendList(backends);
  const browserBackend = backends.find(isBrowserBackend) as BrowserBackendName | undefined;
  const emulation = emulationFrom(flags, backends.includes('webgl') ? 'webgl' : (browserBackend ?? backends[0]!));
  if (browserBackend) {
    if (backends.includes('webgpu')) {
      throw new BackendError(
        `backend 'webgpu' cannot be diffed yet: it reads back only asynchronously, and the differential search switches backends synchronously (use webgl)`,
      );
    }
    const outside = backends.filter((b) => b !== 'cpu' && !isBrowserBackend(b));
    if (outside.length > 0) {
      throw new BackendError(
        `backend '${outside[0]}' cannot be compared with ${browserBackend}: a diff with a browser backend runs in Chromium, where cpu, webgl and webgpu are available`,
      );
    }
  } else await prepareBackends(backends); // a missing optional package is a usage error, before any output
  const ulps = flags.ulps ?? DEFAULT_TOLERANCE.ulps;
  if (ulps < 0) throw new UsageError('--ulps must be at least 0');
  const atol = flags.atol === undefined ? DEFAULT_TOLERANCE.atol : Number(flags.atol);
  if (!Number.isFinite(atol) || atol < 0) throw new UsageError(`--atol must be a non-negative number, got '${flags.atol}'`);
  const tolerance: AgreementTolerance = { ulps, atol };
  const loadedSelection = await loadSelection(flags);
  const { propertiesArg } = loadedSelection;
  // browsers leave out the properties with large inputs unless --filter names them
  const { run: selected, left } = browserBackend ? browserSelection(loadedSelection.selected, flags.filter) : { run: loadedSelection.selected, left: [] };
  // the browser starts once, before any output (it cannot start: a usage error, exit 2)
  const browser = browserBackend ? await BrowserSession.open({ backend: browserBackend, backends, emulation, files: selectionFiles(selected) }) : undefined;
  try {
    io.out(
      `nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · diff ${backends.join(' vs ')} · tolerance ${toleranceText(tolerance)} · seed ${seed} · ${selected.length === 1 ? '1 property' : `${selected.length} properties`}`,
    );
    if (left.length > 0) {
      io.out(
        `not run on ${browserBackend}: ${left.length === 1 ? '1 property' : `${left.length} properties`} with large inputs (minutes per case in software rendering); name one with --filter to run it`,
      );
    }
    const options = { backends, tolerance, ...(runs !== undefined ? { runs } : {}), ...(flags.path !== undefined ? { path: flags.path } : {}) };
    let results: DiffResult[];
    if (browser) {
      // each property's whole differential search runs in the page, switching backends there
      results = [];
      for (const { property } of selected) {
        const r = await browser.diff(property.name, { ...options, seed: propertySeed(seed, property.name) });
        results.push(r);
        io.out(diffSummaryLine(r));
      }
    } else {
      results = await diffAll(
        selected.map((s) => s.property),
        { ...options, seed, onResult: (r) => io.out(diffSummaryLine(r)) },
      );
    }
    const context: DiffContext = { globalSeed: seed, ...(propertiesArg ? { propertiesArg } : {}), formatters: [trainingInputFormatter] };
    for (const r of results.filter((x) => x.status === 'disagreed')) {
      io.out('');
      io.out(diffReport(r, context));
    }
    if (flags.json !== undefined) {
      const doc = diffDocument(
        {
          nanhunt: VERSION,
          tfjs: tf.version.tfjs,
          backends,
          seed,
          ...(runs !== undefined ? { runs } : {}),
          tolerance,
          generatedAt: new Date().toISOString(),
          ...(browser ? browserRunInfo(browser, emulation) : {}),
        },
        results,
        context,
      );
      try {
        writeAtomic(flags.json, `${JSON.stringify(doc, null, 2)}\n`);
      } catch (e) {
        io.err(`nanhunt: cannot write ${flags.json}: ${(e as Error).message}`);
        return 2;
      }
    }
    io.out('');
    io.out(diffClosingLine(results));
    return results.some((r) => r.status === 'disagreed' || r.status === 'errored') ? 1 : 0;
  } finally {
    await browser?.close();
  }
}
