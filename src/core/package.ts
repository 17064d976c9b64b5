/**
 * Where nanhunt's package lies on disk, the same whether it runs from its TypeScript sources
 * (`src/`, in the repository under vitest or tsx) or from the compiled build (`dist/src/`, as
 * installed from npm).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when nanhunt runs from its TypeScript sources; false when it runs compiled. */
export const FROM_SOURCE: boolean = import.meta.url.endsWith('.ts');

/** The extension of nanhunt's own modules as they run: `.ts` from source, `.js` compiled. */
export const MODULE_EXTENSION: '.ts' | '.js' = FROM_SOURCE ? '.ts' : '.js';

/** The package's root: its package.json, schema/ and docs/ (this module is src/core/ or dist/src/core/). */
export const PACKAGE_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), FROM_SOURCE ? '../..' : '../../..');
