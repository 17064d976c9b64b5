/**
 * Emulating the GPUs users run on: the tfjs flags a browser run sets, and how the report names them.
 *
 * - small tensors always take the GPU path (`WEBGL_CPU_FORWARD` / `WEBGPU_CPU_FORWARD` false):
 *   otherwise tfjs runs ops on tensors under 128 elements on its CPU kernels, and most generated
 *   cases would never touch a shader;
 * - `--webgl-f16`: float16 textures, as on many phones (`WEBGL_FORCE_F16_TEXTURES` true,
 *   `WEBGL_RENDER_FLOAT32_ENABLED` false): every intermediate is rounded to float16 (largest
 *   finite 65504, smallest subnormal 6e-8);
 * - `--webgl-pack on|off`: packed (four values per texel) or unpacked kernels (`WEBGL_PACK`).
 */

/** The emulation switches of a browser run. */
export interface Emulation {
  /** float16 textures (`--webgl-f16`). */
  readonly webglF16: boolean;
  /** `--webgl-pack on|off`; undefined leaves tfjs's default (packed where WebGL2 allows). */
  readonly webglPack?: boolean;
}

export const NO_EMULATION: Emulation = { webglF16: false };

/** What the page reports after setup. */
export interface PageInfo {
  readonly tfjs: string;
  /** The backend flags in effect, as tfjs reads them. */
  readonly flags: Readonly<Record<string, boolean | number>>;
  readonly userAgent: string;
}

/** The tfjs flags a browser run sets before its backend starts (flags of a backend not bundled are skipped). */
export function emulationFlags(e: Emulation): Record<string, boolean> {
  return {
    WEBGL_CPU_FORWARD: false,
    WEBGPU_CPU_FORWARD: false,
    ...(e.webglF16 ? { WEBGL_FORCE_F16_TEXTURES: true, WEBGL_RENDER_FLOAT32_ENABLED: false } : {}),
    ...(e.webglPack !== undefined ? { WEBGL_PACK: e.webglPack } : {}),
  };
}

/** `webgl-f16 on · webgl-pack off`: the switches as the console header and reports name them. */
export function emulationText(e: Emulation): string {
  return [`webgl-f16 ${e.webglF16 ? 'on' : 'off'}`, `webgl-pack ${e.webglPack === undefined ? 'default' : e.webglPack ? 'on' : 'off'}`].join(' · ');
}

/** The command-line flags of the emulation (for replay commands): `--webgl-f16`, `--webgl-pack off`. */
export function emulationArgs(e: Emulation): string[] {
  return [...(e.webglF16 ? ['--webgl-f16'] : []), ...(e.webglPack !== undefined ? ['--webgl-pack', e.webglPack ? 'on' : 'off'] : [])];
}

/**
 * The message the page throws when the WebGL context was lost during a call: every number read
 * after the loss is 0 and every shader fails to link, so the call's result says nothing about the
 * kernels. The Node side (session.ts) starts a new browser and runs the call again.
 */
export const CONTEXT_LOST = 'the WebGL context was lost';
