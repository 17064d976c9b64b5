/**
 * `nanhunt replay <failure-file>`: run exactly the saved case once more and print the same report
 * as `check`. Exit 1 when it still fails, 0 when it is fixed, 2 (one line on stderr) when the file
 * is missing, unreadable or malformed, or its property cannot be loaded. A file recorded on another
 * backend or another version of tfjs or nanhunt says so before the replay.
 */
import type { Property } from '../property/property.ts';
import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import { BackendError, isBrowserBackend, useBackend } from '../run/backend.ts';
import { BrowserSession } from '../browser/session.ts';
import { selectionFiles } from '../browser/check.ts';
import { emulationArgs } from '../browser/emulation.ts';
import { CATALOG_MODULE, loadProperties } from '../property/load.ts';
import { emulationFrom } from './emulation-flags.ts';
import { failureReport } from '../report/format.ts';
import { trainingInputFormatter } from '../train/report.ts';
import { captureInputFormatter } from '../guard/report.ts';
import { capturePropertyFrom } from '../guard/property.ts';
import { readFailureFile, type SavedFailure } from '../db/database.ts';
import { describeOrigin, loadRecordedProperty } from '../db/origin.ts';
import { FailureFileError, failureLine } from '../db/record.ts';
import { environmentNotes, replayFailure } from '../db/replay.ts';
import { parseArgs, UsageError } from './args.ts';
import type { Io } from './check.ts';
import { VERSION } from '../core/version.ts';

export const REPLAY_FLAGS = { backend: 'string', properties: 'string', 'webgl-f16': 'boolean', 'webgl-pack': 'string' } as const;

export const REPLAY_USAGE = `  <failure-file>      a file of the failure database (.nanhunt/failures/*.json)
  --backend <b>       replay on this backend (default: the one it was recorded on); webgl and
                      webgpu replay in headless Chromium
  --webgl-f16, --webgl-pack <on|off>  webgl's emulation switches (as in check)
  --properties <p>    load the property from this file or directory (default: where it was recorded)`;

/**
 * The property of a saved failure: a captured training step is rebuilt from its saved case
 * (src/guard); any other is loaded from where it was recorded (or `propertiesOverride`).
 * Throws a FailureFileError.
 */
export async function propertyOfSaved(saved: SavedFailure, propertiesOverride?: string): Promise<{ property: Property; module?: string }> {
  if (saved.record.origin?.capture !== undefined && propertiesOverride === undefined) {
    const property = capturePropertyFrom(saved.record.property, saved.inputs);
    if (!property) throw new FailureFileError(`'${saved.record.property}' is recorded as a captured step, but its inputs are not one`);
    return { property: property as Property };
  }
  return loadRecordedProperty(saved.record, {
    failureFile: saved.file,
    ...(propertiesOverride !== undefined ? { propertiesOverride } : {}),
  });
}

function quote(s: string): string {
  return /^[\w./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function replayFailureCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags } = parseArgs(argv, REPLAY_FLAGS);
  if (positional.length === 0) throw new UsageError('replay needs a failure file: nanhunt replay .nanhunt/failures/<file>.json');
  if (positional.length > 1) throw new UsageError(`replay takes one failure file, got ${positional.length}`);
  const file = positional[0]!;
  const fail = (reason: string): number => {
    io.err(`nanhunt: cannot replay ${file}: ${reason}`);
    return 2;
  };

  let saved: SavedFailure;
  let property: Property;
  let module: string | undefined;
  try {
    saved = readFailureFile(file);
    ({ property, module } = await propertyOfSaved(saved, flags.properties));
  } catch (e) {
    if (e instanceof FailureFileError) return fail(e.message);
    throw e;
  }
  const backend = flags.backend ?? saved.record.environment.backend;
  const emulation = emulationFrom(flags, backend);
  let browser: BrowserSession | undefined;
  try {
    if (isBrowserBackend(backend)) {
      if (module === undefined) return fail(`'${saved.record.property}' is a captured training step: it replays in Node (--backend cpu, wasm or node)`);
      const files = flags.properties === undefined && saved.record.origin?.catalog !== undefined ? [CATALOG_MODULE] : await moduleFiles(module);
      browser = await BrowserSession.open({ backend, backends: [backend], emulation, files });
    } else await useBackend(backend);
  } catch (e) {
    if (e instanceof BackendError) return fail(e.message);
    throw e;
  }
  try {
    return await replayOn(browser);
  } finally {
    await browser?.close();
  }

  async function replayOn(browser: BrowserSession | undefined): Promise<number> {
    const r = saved.record;
    io.out(`nanhunt ${VERSION} · tfjs ${tf.version.tfjs} · backend ${backend} · replaying ${file}`);
    for (const note of environmentNotes(saved, backend)) io.out(`note: ${note}`);
    const born = r.provenance?.bornIn ? ` (first non-finite value born in ${r.provenance.bornIn})` : '';
    io.out(`recorded: '${r.property}' ${failureLine(r.failure)}${born}; from ${describeOrigin(r.origin)}; first seen ${r.firstSeen}, last seen ${r.lastSeen}`);
    io.out('');

    const result = browser ? await browser.replayFailure(property.name, saved) : replayFailure(property, saved);
    if (result.status === 'passed') {
      io.out(`✓ fixed: '${r.property}' passes on the saved case on backend ${backend} (it failed with ${failureLine(r.failure)})`);
      io.out(`  the case stays in the failure database until 'npx nanhunt db prune'`);
      return 0;
    }
    const on =
      (backend !== r.environment.backend ? ` --backend ${backend}` : '') +
      emulationArgs(emulation)
        .map((a) => ` ${a}`)
        .join('');
    io.out(failureReport(result, { replay: `npx nanhunt replay ${quote(file)}${on}`, formatters: [trainingInputFormatter, captureInputFormatter] }));
    io.out('');
    io.out(`✗ still fails: '${r.property}' on backend ${backend}`);
    return 1;
  }
}

/** The property modules of `module` (a file, or every module of a directory): what the page bundles. */
async function moduleFiles(module: string): Promise<string[]> {
  if (!statSync(module).isDirectory()) return [module];
  return selectionFiles(await loadProperties(module));
}
