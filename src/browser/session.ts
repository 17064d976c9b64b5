/**
 * A browser backend from Node: headless Chromium (started once per run) with one page that holds
 * the bundled properties (bundle.ts) and runs them on webgl or webgpu (page.ts).
 *
 * Design: the engine is synchronous (fast-check's runner), and one case is small, so a round trip
 * per case (or per backend switch in a diff) would cost more than the case. Instead the whole
 * search of one property runs in the page — generation from the same seed, the subject, the
 * invariants, shrinking, kernel recording — and the PropertyResult (or DiffResult) comes back as
 * text. Same seed, same generated inputs: counterexamples, paths and reports are those a run on
 * cpu would print, with the backend's numbers. The failure database, the baseline, reports and
 * repro scripts stay here, in Node.
 *
 * Chromium: Debian's package (`/usr/bin/chromium`), or `NANHUNT_CHROMIUM`, or the first of
 * chromium, chromium-browser, google-chrome on PATH; never a downloaded browser. It is driven by
 * playwright-core (an optional peer dependency), with software rendering (SwiftShader) so a
 * machine without a GPU runs it.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PropertyResult, RunOptions } from '../property/runner.ts';
import type { CaseReplay } from '../gate/replay.ts';
import type { BaselineEntry } from '../gate/baseline.ts';
import type { DiffOptions, DiffResult } from '../diff/differential.ts';
import type { SavedFailure } from '../db/database.ts';
import { BackendError, type BrowserBackendName } from '../run/backend.ts';
import { bundlePage, type PageBundle } from './bundle.ts';
import { decode, encode } from './wire.ts';
import { CONTEXT_LOST, type Emulation, type PageInfo } from './emulation.ts';

/** Chromium's flags: software GL and WebGPU through SwiftShader, no network, no first-run work. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // a container's small /dev/shm crashes the GPU process; SwiftShader on a loaded 2-core machine
  // can take longer per draw than the GPU watchdog allows (either loses the WebGL context)
  '--disable-dev-shm-usage',
  '--disable-gpu-watchdog',
] as const;

/** The page's origin: served by request interception, never by a server (and a secure context, which WebGPU needs). */
const ORIGIN = 'http://nanhunt.localhost';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Where Chromium is: NANHUNT_CHROMIUM, /usr/bin/chromium, or chromium / chromium-browser / google-chrome on PATH. */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const given = env.NANHUNT_CHROMIUM?.trim();
  if (given) return given;
  if (existsSync(DEFAULT_CHROMIUM)) return DEFAULT_CHROMIUM;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const file = path.join(dir, name);
      try {
        if (statSync(file).isFile()) return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface BrowserSessionOptions {
  /** Backends to initialize in the page, the first active (diff passes several, cpu among them). */
  readonly backends: readonly string[];
  /** The browser backend the run is for (named in errors). */
  readonly backend: BrowserBackendName;
  readonly emulation: Emulation;
  /** Property modules to bundle (absolute paths). */
  readonly files: readonly string[];
  /** Chromium's executable (default: {@link findChromium}). */
  readonly executablePath?: string;
  /** Properties one browser runs before a fresh one takes over (default {@link BrowserSession.RUNS_PER_BROWSER}). */
  readonly runsPerBrowser?: number;
}

/** How the session started, for reports and bench/. */
export interface BrowserInfo extends PageInfo {
  readonly chromium: string;
  readonly executablePath: string;
  readonly bundleMs: number;
  readonly launchMs: number;
  /** Page load, tfjs and backend initialization. */
  readonly setupMs: number;
}

interface PwPage {
  route(
    url: string,
    handler: (route: { request(): { url(): string }; fulfill(r: { contentType: string; body: string }): Promise<void> }) => unknown,
  ): Promise<void>;
  goto(url: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  on(event: 'pageerror', fn: (e: Error) => void): void;
  on(event: 'console', fn: (m: { type(): string; text(): string }) => void): void;
  on(event: 'crash', fn: () => void): void;
}
interface PwBrowser {
  version(): string;
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
interface PwChromium {
  launch(o: { executablePath: string; args: string[]; headless: boolean; timeout: number }): Promise<PwBrowser>;
}

async function loadPlaywright(backend: string): Promise<PwChromium> {
  try {
    const pw = (await import('playwright-core')) as unknown as { chromium: PwChromium };
    return pw.chromium;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new BackendError(
        `backend '${backend}' needs the optional package playwright-core to drive Chromium, which is not installed. Install it with: npm install playwright-core (it downloads no browser)`,
      );
    }
    throw new BackendError(`backend '${backend}': loading playwright-core failed: ${(e as Error).message}`);
  }
}

/** Declared in the page by page.ts. */
declare const __nanhunt: import('./page.ts').PageApi;

export class BrowserSession {
  /** Chromium launches in this process (bench/ and tests: one per run, not per property). */
  static launches = 0;
  /** Browsers started again after the WebGL context was lost or the page crashed (bench/ and tests). */
  static restarts = 0;
  /**
   * Properties one browser runs before a fresh one takes over. Chromium's GPU process keeps every
   * shader program and texture tfjs makes (one per shape): over the whole catalog it grew past
   * 4.5 GB here (SwiftShader, Chromium 156, a third of the catalog) and, on a CI machine, lost the
   * context. Results do not depend on it: each property's search starts from its own seed.
   */
  static readonly RUNS_PER_BROWSER = 100;
  private runsHere = 0;
  private closed = false;
  private errors: string[] = [];

  private constructor(
    private browser: PwBrowser,
    private page: PwPage,
    readonly info: BrowserInfo,
    private readonly options: BrowserSessionOptions,
    private readonly bundle: PageBundle,
  ) {}

  /** Bundle, start Chromium, load the page and initialize the backends. Throws a BackendError (exit 2) when it cannot. */
  static async open(options: BrowserSessionOptions, /** the page of an earlier session (a restart reuses it) */ bundled?: PageBundle): Promise<BrowserSession> {
    const backend = options.backend;
    const executablePath = options.executablePath ?? findChromium();
    if (executablePath === undefined || !existsSync(executablePath)) {
      throw new BackendError(
        `backend '${backend}' needs Chromium, and none was found (${executablePath ?? `${DEFAULT_CHROMIUM}, or chromium on PATH`}): install it (Debian: apt-get install chromium) or set NANHUNT_CHROMIUM to its path`,
      );
    }
    const chromium = await loadPlaywright(backend);
    const bundle = bundled ?? (await bundlePage(options.files, { webgpu: options.backends.includes('webgpu') }));
    const t0 = performance.now();
    let browser: PwBrowser;
    try {
      browser = await chromium.launch({
        executablePath,
        headless: true,
        timeout: 60_000,
        args: [...CHROMIUM_ARGS, ...(options.backends.includes('webgpu') ? ['--enable-unsafe-webgpu'] : [])],
      });
    } catch (e) {
      throw new BackendError(`backend '${backend}': Chromium (${executablePath}) failed to start: ${firstLine(e)}`);
    }
    BrowserSession.launches++;
    const launchMs = performance.now() - t0;
    const t1 = performance.now();
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message + (process.env.NANHUNT_DEBUG ? e.stack : '')));
      await page.route(`${ORIGIN}/**`, (route) =>
        route.request().url() === `${ORIGIN}/nanhunt.js`
          ? route.fulfill({ contentType: 'text/javascript', body: bundle.code })
          : route.fulfill({
              contentType: 'text/html',
              body: '<!doctype html><meta charset="utf-8"><title>nanhunt</title><script type="module" src="/nanhunt.js"></script>',
            }),
      );
      await page.goto(`${ORIGIN}/`);
      // the module script defines __nanhunt when it has run; an error while it loads is a pageerror
      const deadline = performance.now() + 120_000;
      while (!(await page.evaluate(() => typeof __nanhunt !== 'undefined', undefined))) {
        if (pageErrors.length > 0) throw new Error(pageErrors[0]);
        if (performance.now() > deadline) throw new Error('the page did not load nanhunt within 120 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const setup = { backends: options.backends, emulation: options.emulation };
      const pageInfo = decode<PageInfo>(await page.evaluate((text) => __nanhunt.setup(text), encode(setup)));
      const info: BrowserInfo = {
        ...pageInfo,
        chromium: browser.version(),
        executablePath,
        bundleMs: Math.round(bundle.ms),
        launchMs: Math.round(launchMs),
        setupMs: Math.round(performance.now() - t1),
      };
      const session = new BrowserSession(browser, page, info, options, bundle);
      page.on('pageerror', (e) => session.errors.push(e.message));
      page.on('crash', () => session.errors.push('the page crashed'));
      return session;
    } catch (e) {
      if (process.env.NANHUNT_DEBUG) console.error(e);
      await browser.close().catch(() => undefined);
      throw new BackendError(`backend '${backend}' failed to start in Chromium: ${firstLine(e)}`);
    }
  }

  /**
   * Run `fn` in the page. When the WebGL context was lost or the page crashed (Chromium's GPU
   * process, not the kernels: every read after it is 0), start a new browser and run it once more;
   * a second loss stops the run with a BackendError (exit 2) rather than report zeros as findings.
   */
  private async guarded(what: string, fn: () => Promise<string>): Promise<string> {
    if (this.closed) throw new Error('the browser session is closed');
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const message = this.errors.at(-1) ?? firstLine(e);
        const lost = message.includes(CONTEXT_LOST) || message.includes('the page crashed') || /Target (page|crashed)|has been closed/.test(message);
        if (!lost) throw new BrowserRunError(`${what} failed in the browser: ${message}`);
        if (attempt > 0) {
          throw new BrowserRunError(
            `backend '${this.options.backend}': ${what} lost the WebGL context twice (Chromium's GPU process failed: ${message}); run it alone with --properties or on another machine`,
          );
        }
        await this.restart();
        BrowserSession.restarts++;
      }
    }
  }

  /** A new browser and page with the same bundle and backends (after a lost context or a crash). */
  private async restart(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    let fresh: BrowserSession;
    try {
      fresh = await BrowserSession.open(this.options, this.bundle);
    } catch (e) {
      throw new BrowserRunError(`restarting Chromium failed: ${firstLine(e)}`);
    }
    this.browser = fresh.browser;
    this.page = fresh.page;
    this.errors = fresh.errors;
    this.runsHere = 0;
  }

  /** Run one property in the page (its whole search) and return its result. */
  async run(name: string, options: RunOptions): Promise<PropertyResult> {
    if (++this.runsHere > (this.options.runsPerBrowser ?? BrowserSession.RUNS_PER_BROWSER)) {
      await this.restart();
      this.runsHere = 1;
    }
    const text = await this.guarded(`'${name}'`, () => this.page.evaluate(([n, o]) => __nanhunt.run(n, o), [name, encode(options)] as const));
    return decode<PropertyResult>(text);
  }

  /** Replay baseline entries' saved cases on the page's backend (gate/replay.ts's replayEntry, in the page). */
  async replay(name: string, entries: readonly BaselineEntry[]): Promise<CaseReplay[]> {
    const text = await this.guarded(`replaying '${name}'`, () => this.page.evaluate(([n, e]) => __nanhunt.replay(n, e), [name, encode(entries)] as const));
    return decode<CaseReplay[]>(text);
  }

  /** Differential-test one property across the page's backends. */
  async diff(name: string, options: DiffOptions): Promise<DiffResult> {
    const text = await this.guarded(`'${name}'`, () => this.page.evaluate(([n, o]) => __nanhunt.diff(n, o), [name, encode(options)] as const));
    return decode<DiffResult>(text);
  }

  /** Replay a saved failure (the failure database's case) on the page's backend, as `nanhunt replay` does in Node. */
  async replayFailure(name: string, saved: Pick<SavedFailure, 'inputs' | 'record'>): Promise<PropertyResult> {
    const text = await this.guarded(`replaying '${name}'`, () =>
      this.page.evaluate(([n, s]) => __nanhunt.replayFailure(n, s), [name, encode({ inputs: saved.inputs, record: saved.record })] as const),
    );
    return decode<PropertyResult>(text);
  }

  /** Call `exportName` of the bundled module `files[index]` in the page with `args` (both ways through the wire codec). */
  async call<T>(index: number, exportName: string, ...args: unknown[]): Promise<T> {
    const text = await this.guarded(`${exportName}()`, () =>
      this.page.evaluate(([i, n, a]) => __nanhunt.call(i, n, a), [index, exportName, encode(args)] as const),
    );
    return decode<T>(text);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => undefined);
  }
}

/** The browser failed during a run (not a usage problem: no usage hint; exit 2). */
export class BrowserRunError extends BackendError {
  override name = 'BrowserRunError';
  override readonly showUsage: boolean = false;
}

/** An error's first line, without playwright's `page.evaluate: Error: ` prefix. */
function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n').find((l) => l.trim() !== '') ?? m).trim().replace(/^page\.evaluate: (Error: )?/, '');
}
