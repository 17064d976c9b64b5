/**
 * What a failed property looks like in vitest: one error whose message is nanhunt's failure report
 * (minimal case, provenance, seed and how to replay), with a first line for tensor leaks.
 */
import { trainingInputFormatter } from '../train/report.ts';
import { failureReport } from '../report/format.ts';
import type { PropertyResult } from '../property/runner.ts';
import type { ResolvedConfig } from './config.ts';

/** The error a failed nanhunt property or matcher throws. */
export class NanhuntFailure extends Error {
  override name = 'NanhuntFailure';
  constructor(
    message: string,
    readonly result: PropertyResult,
  ) {
    super(message);
  }
}

/** Number of tensors a leak failure names, or undefined when the failure is not a leak. */
export function leakedCount(result: PropertyResult): number | undefined {
  const f = result.failure;
  if (f?.kind !== 'error' || f.stage !== 'leak') return undefined;
  const m = /leaked (\d+) tensor/.exec(f.message);
  return m ? Number(m[1]) : 0;
}

function quote(s: string): string {
  return /^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ReplayContext {
  /** Where to put `{ seed, path }`: "this numProp's options", "the options of toStayFinite". */
  readonly optionsOf: string;
  /** Test file, relative to the vitest root, for the rerun command. */
  readonly file?: string;
  /** The test's own name (matched with -t). */
  readonly testName?: string;
  /** The failure database file the case was saved to. */
  readonly savedTo?: string;
  /** The failure came from a case saved in the failure database. */
  readonly fromSaved?: boolean;
}

/** How to get this case again: pin the seed (and path) in the options, or rerun the test. */
export function replayText(result: PropertyResult, config: ResolvedConfig, ctx: ReplayContext): string {
  const pin = `{ seed: ${result.seed}${result.path ? `, path: '${result.path}'` : ''} }`;
  let text = `add ${pin} to ${ctx.optionsOf}`;
  // a random seed given in the options cannot be had again by rerunning
  if (ctx.file && ctx.testName && !(config.seedFrom === 'option' && config.random)) {
    const env = config.seedFrom === 'env' ? `NANHUNT_SEED=${config.globalSeed} ` : '';
    text += `, or rerun: ${env}npx vitest run ${quote(ctx.file)} -t ${quote(escapeRegExp(ctx.testName))}`;
  }
  return text;
}

/** The message of a failed property: nanhunt's failure report, headed by a line for leaks. */
export function failureMessage(result: PropertyResult, config: ResolvedConfig, ctx: ReplayContext): string {
  const lines: string[] = [];
  const leaked = leakedCount(result);
  if (leaked !== undefined) {
    lines.push(
      `Tensor leak: the subject leaked ${leaked} tensor${leaked === 1 ? '' : 's'} in one run of the minimal case ` +
        '(tensors it tf.keep()s or variables it creates survive the run).',
    );
  }
  const all = [result, ...(result.distinct ?? [])];
  all.forEach((f, i) => {
    if (i > 0) lines.push('');
    lines.push(
      failureReport(
        f,
        { replay: replayText(f, config, ctx), formatters: [trainingInputFormatter] },
        all.length > 1 ? { index: i + 1, count: all.length } : undefined,
      ),
    );
  });
  const sources = [
    `runs ${config.runs} (${config.runsFrom})`,
    `seed ${config.seedFrom === 'option' ? 'from options' : config.random ? `random: NANHUNT_SEED=${config.globalSeed}` : `global ${config.globalSeed} (${config.seedFrom})`}`,
    `backend ${result.backend} (${config.backendFrom === 'default' ? 'active' : config.backendFrom})`,
  ];
  lines.push(`  config: ${sources.join(', ')}`);
  if (ctx.fromSaved) lines.push('  this case was saved in the failure database by an earlier run: it runs first until it passes');
  if (ctx.savedTo) lines.push(`  saved to ${ctx.savedTo}`);
  return lines.join('\n');
}

/** Replace an error's stack frames by those of `site` (where the test was defined), minus ours. */
export function pointAt(error: Error, site: Error | undefined, ownDir: string): Error {
  if (!site?.stack) return error;
  const frames = site.stack
    .split('\n')
    .slice(1)
    .filter((l) => /^\s+at /.test(l) && !l.includes(ownDir));
  error.stack = `${error.name}: ${error.message}\n${frames.join('\n')}`;
  return error;
}
