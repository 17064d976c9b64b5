/** `--webgl-f16` and `--webgl-pack on|off`, as check, diff and replay take them. */
import type { Emulation } from '../browser/emulation.ts';
import { UsageError } from './args.ts';

export function emulationFrom(flags: { readonly 'webgl-f16'?: boolean; readonly 'webgl-pack'?: string }, backend: string): Emulation {
  const pack = flags['webgl-pack'];
  if ((flags['webgl-f16'] || pack !== undefined) && backend !== 'webgl') {
    throw new UsageError(`--webgl-f16 and --webgl-pack apply to --backend webgl, not ${backend}`);
  }
  if (pack !== undefined && pack !== 'on' && pack !== 'off') throw new UsageError(`--webgl-pack must be on or off, got '${pack}'`);
  return { webglF16: flags['webgl-f16'] ?? false, ...(pack !== undefined ? { webglPack: pack === 'on' } : {}) };
}
