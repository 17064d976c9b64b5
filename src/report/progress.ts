/**
 * What `nanhunt check` prints while it runs.
 *
 * On a terminal (a TTY, and CI not set) one status line is redrawn in place: properties done /
 * total, the property running and its case count, findings so far, elapsed time. Everywhere else
 * (pipes, files, CI=true) output is plain lines, one per property. Colors only on a TTY, never
 * with NO_COLOR. Verbosity: `quiet` prints only the findings that fail the check and the final
 * line; `verbose` adds per-property details (seed, path, runs, shrinks, error in bits).
 */
import type { Property } from '../property/property.ts';
import type { PropertyResult } from '../property/runner.ts';
import type { GateVerdict } from '../gate/gate.ts';
import { plural, summaryLine } from './format.ts';
import { errorStats } from './error-stats.ts';
import { describeUnsupported } from '../run/backend.ts';

/**
 * What a result with a status the gate does not count says: `unsupported on cpu: no kernel 'Erfinv'`,
 * or the status and its failure message.
 */
export function otherStatusText(r: PropertyResult): string {
  if (r.unsupported) return describeUnsupported(r.unsupported);
  const f = r.failure;
  const why = f ? (f.kind === 'error' ? f.message : `${f.violation.invariant}: ${f.violation.message}`) : '';
  return `${r.status}${why ? `: ${why}` : ''}`;
}

/** Where live output goes: process.stdout or a test double. */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface LineSink {
  out(line: string): void;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface ProgressOptions {
  /** The terminal; without one, output is plain lines through the sink. */
  stream?: OutputStream;
  /** Environment (CI, NO_COLOR); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  verbosity?: Verbosity;
  /** Clock in ms (tests); default performance.now. */
  now?: () => number;
  /** Least ms between two redraws of the status line (default 100). */
  redrawMs?: number;
}

/** True when the environment says this is CI (CI set to anything but '', 0 or false). */
export function isCI(env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** How to print on this stream: redraw a live status line, and use colors. */
export function terminalMode(stream: OutputStream | undefined, env: Readonly<Record<string, string | undefined>>): { live: boolean; color: boolean } {
  const tty = stream?.isTTY === true;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { live: tty && !isCI(env), color: tty && !noColor };
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

/** Seconds as `4.2 s`, `1 m 05 s`. */
export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} m ${String(Math.floor(s - m * 60)).padStart(2, '0')} s`;
}

const KNOWN_STATUS_ICON: Record<string, string> = { passed: '✓', failed: '✗', errored: '!' };

export class Progress {
  readonly live: boolean;
  readonly color: boolean;
  readonly verbosity: Verbosity;
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly started: number;
  private total = 0;
  private done = 0;
  private current: string | undefined;
  private cases = 0;
  private findings = 0;
  private newFindings = 0;
  private statusShown = false;
  /** Lines written so far, and whether the last one was blank (for {@link gap}). */
  private written = 0;
  private lastBlank = false;
  private lastDraw = -Infinity;

  constructor(
    private readonly sink: LineSink,
    private readonly options: ProgressOptions = {},
  ) {
    const env = options.env ?? process.env;
    const mode = terminalMode(options.stream, env);
    this.verbosity = options.verbosity ?? 'normal';
    this.live = mode.live && this.verbosity !== 'quiet';
    this.color = mode.color;
    this.now = options.now ?? (() => performance.now());
    this.redrawMs = options.redrawMs ?? 100;
    this.started = this.now();
  }

  /** Wrap text in an ANSI style when colors are on. */
  paint(style: Style, text: string): string {
    return this.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
  }

  /** A permanent line (the status line is cleared first and redrawn after). */
  line(text: string): void {
    this.written++;
    this.lastBlank = text === '';
    if (this.live) {
      this.clearStatus();
      this.options.stream!.write(`${text}\n`);
      if (this.current !== undefined) this.drawStatus();
    } else this.sink.out(text);
  }

  /** A blank line separating blocks: only after something was written, never two in a row. */
  gap(): void {
    if (this.written > 0 && !this.lastBlank) this.line('');
  }

  /** A line shown unless quiet. */
  info(text: string): void {
    if (this.verbosity !== 'quiet') this.line(text);
  }

  /** A line shown only when verbose. */
  detail(text: string): void {
    if (this.verbosity === 'verbose') this.line(text);
  }

  /** A property is about to run. */
  start(name: string, index: number, total: number): void {
    this.total = total;
    this.done = index;
    this.current = name;
    this.cases = 0;
    if (this.live) this.drawStatus();
  }

  /** One more case of the current property ran (redraws at most every `redrawMs`). */
  tick(): void {
    this.cases++;
    if (this.live && this.now() - this.lastDraw >= this.redrawMs) this.drawStatus();
  }

  /** The current property has run `n` cases (counted elsewhere: in the watchdog's worker thread). */
  setCases(n: number): void {
    this.cases = n;
    if (this.live && this.now() - this.lastDraw >= this.redrawMs) this.drawStatus();
  }

  /**
   * For a live display, the property with a subject that ticks the case counter (runProperty is
   * synchronous, so this is the only moment the display can move during a long property).
   */
  watch<I>(p: Property<I>): Property<I> {
    if (!this.live) return p;
    const subject = p.subject;
    const tick = () => this.tick();
    return Object.freeze({
      ...p,
      subject: (inputs: Parameters<typeof subject>[0]) => {
        tick();
        return subject(inputs);
      },
    }) as Property<I>;
  }

  /** A property finished: its line (and details when verbose). */
  finish(r: PropertyResult, verdict: GateVerdict): void {
    this.done++;
    this.current = undefined;
    if (verdict === 'new' || verdict === 'known') this.findings++;
    if (verdict === 'new') this.newFindings++;
    const text = this.resultLine(r, verdict);
    if (verdict === 'new') this.line(text);
    else this.info(text);
    if (this.verbosity === 'verbose') for (const d of detailLines(r)) this.line(this.paint('dim', d));
  }

  /** Clear the status line for good (before the closing report). */
  stop(): void {
    this.current = undefined;
    if (this.live) this.clearStatus();
  }

  elapsedMs(): number {
    return this.now() - this.started;
  }

  /** The status line's text (without styling). */
  statusText(): string {
    const parts = [`${Math.min(this.done + (this.current !== undefined ? 1 : 0), this.total)}/${this.total}`];
    if (this.current !== undefined) parts.push(this.current + (this.cases > 0 ? ` (case ${this.cases})` : ''));
    const f = this.findings;
    parts.push(f === 0 ? 'no findings' : `${f} finding${f === 1 ? '' : 's'}${this.newFindings > 0 ? ` (${this.newFindings} new)` : ''}`);
    parts.push(formatElapsed(this.elapsedMs()));
    return parts.join(' · ');
  }

  private resultLine(r: PropertyResult, verdict: GateVerdict): string {
    let text: string;
    if (verdict === 'other') {
      // summaryLine knows the statuses of its time; anything newer gets a generic line
      const line = summaryLine(r);
      text = line.startsWith('○ ') ? line : `○ ${r.name} — ${otherStatusText(r)} (${Math.round(r.durationMs)} ms)`;
    } else {
      text = summaryLine(r);
      if (verdict === 'known') text += ' [known: in baseline]';
    }
    if (!this.color) return text;
    const icon = verdict === 'other' ? '○' : (KNOWN_STATUS_ICON[r.status] ?? '');
    const style: Style = verdict === 'new' ? 'red' : verdict === 'known' || r.status === 'errored' ? 'yellow' : verdict === 'other' ? 'dim' : 'green';
    return icon && text.startsWith(icon) ? this.paint(style, icon) + text.slice(icon.length) : text;
  }

  private drawStatus(): void {
    const width = Math.max(20, (this.options.stream?.columns ?? 80) - 1);
    let text = `▸ ${this.statusText()}`;
    if (text.length > width) text = `${text.slice(0, width - 1)}…`;
    this.options.stream!.write(`\r\x1b[2K${this.paint('cyan', text)}`);
    this.statusShown = true;
    this.lastDraw = this.now();
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.options.stream!.write('\r\x1b[2K');
    this.statusShown = false;
  }
}

/** Verbose details of a result: seed, path, runs, shrinks, and the error samples' summary. */
export function detailLines(r: PropertyResult): string[] {
  const lines = [
    `    backend ${r.backend} · seed ${r.seed}${r.path ? ` · path ${r.path}` : ''} · ${plural(r.runs, 'run')} · ${plural(r.shrinks, 'shrink')} · ${r.durationMs.toFixed(1)} ms${r.interrupted ? ' · interrupted by the time limit' : ''}`,
  ];
  const e = errorStats(r.errorSamples);
  if (e) {
    lines.push(
      `    error: max ${e.maxBits.toFixed(1)} bits (${e.maxUlps} ulps at input ${e.worstInput}), mean ${e.meanBits.toFixed(2)} bits over ${e.count} samples`,
    );
  }
  if (r.failure?.kind === 'violation' && r.failure.violation.details) {
    const d = Object.entries(r.failure.violation.details).map(([k, v]) => `${k}=${v}`);
    if (d.length) lines.push(`    ${d.join(' ')}`);
  }
  return lines;
}
