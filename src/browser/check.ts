/**
 * What `nanhunt check` needs to run on a browser backend: the property modules to bundle, the
 * default number of runs there, the report's record of the browser, and the baseline's replays
 * done in the page.
 */
import type { LoadedProperty } from '../property/load.ts';
import type { Property } from '../property/property.ts';
import type { PropertyResult } from '../property/runner.ts';
import type { BaselineEntry } from '../gate/baseline.ts';
import { entriesToReplay, type CaseReplay } from '../gate/replay.ts';
import type { BrowserRunInfo } from '../report/json.ts';
import type { BrowserSession } from './session.ts';
import type { Emulation } from './emulation.ts';

/**
 * Runs per property on a browser backend when `--runs` is not given: the property's own runs, at
 * most this many. Software rendering (SwiftShader) makes a case about 13x slower than on cpu
 * (readback dominates), so the catalog's 1,000-run properties would take most of an hour; 100
 * runs each keep the whole catalog on webgl within minutes (bench/browser.ts measures it).
 */
export const BROWSER_RUNS = 100;

/** The runs a property gets on a browser backend without `--runs`. */
export function browserRuns(p: Property<any>): number {
  return Math.min(p.runs ?? BROWSER_RUNS, BROWSER_RUNS);
}

/**
 * What a browser run leaves out unless `--filter` names it: properties with large inputs (10^5 to
 * 10^7 elements). On SwiftShader one case of `depthwiseConv2d large` ran for over 15 minutes here
 * (Chromium 156, a loaded 2-core machine); their subject is the accumulation of cpu-style kernels.
 */
export function browserSelection<T extends { readonly property: { readonly tags: readonly string[] } }>(
  selected: readonly T[],
  filter: string | undefined,
): { run: T[]; left: T[] } {
  if (filter !== undefined) return { run: [...selected], left: [] };
  const left = selected.filter((l) => l.property.tags.includes('large'));
  return { run: selected.filter((l) => !left.includes(l)), left };
}

/** The property modules of a selection (each once, in order): what the page bundles. */
export function selectionFiles(selected: readonly LoadedProperty[]): string[] {
  return [...new Set(selected.filter((l) => l.origin.capture === undefined).map((l) => l.origin.file))];
}

/** The report's record of the browser run. */
export function browserRunInfo(browser: BrowserSession, emulation: Emulation): { browser: BrowserRunInfo } {
  return {
    browser: {
      chromium: browser.info.chromium,
      webglF16: emulation.webglF16,
      webglPack: emulation.webglPack === undefined ? 'default' : emulation.webglPack ? 'on' : 'off',
      flags: browser.info.flags,
    },
  };
}

function entryKey(e: BaselineEntry): string {
  return JSON.stringify([e.property, e.invariant ?? null, e.error ?? null, e.backend ?? null, e.case ?? null]);
}

/**
 * Replay in the page the saved case of every baseline entry whose property ran, and return the
 * replayer CheckSession.finish uses (it looks the answers up; an entry not replayed here — one
 * the baseline gained in this run — is undecided).
 */
export async function replaysInBrowser(
  browser: BrowserSession,
  entries: readonly BaselineEntry[],
  results: readonly PropertyResult[],
): Promise<(property: Property<any>, entry: BaselineEntry) => CaseReplay> {
  const due = entriesToReplay(entries, results);
  const byProperty = new Map<string, BaselineEntry[]>();
  for (const e of due) byProperty.set(e.property, [...(byProperty.get(e.property) ?? []), e]);
  const answers = new Map<string, CaseReplay>();
  for (const [name, list] of byProperty) {
    const replays = await browser.replay(name, list);
    list.forEach((e, i) => {
      answers.set(entryKey(e), replays[i]!);
    });
  }
  return (_property, entry) => answers.get(entryKey(entry)) ?? { kind: 'other', reason: 'not replayed in the browser' };
}
