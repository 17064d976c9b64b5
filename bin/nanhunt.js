#!/usr/bin/env node
// nanhunt's command line. Installed as a package it runs the compiled JavaScript in dist/; in
// nanhunt's own repository (src/ beside bin/) it runs the TypeScript sources through tsx, so a
// change to src/ never runs against a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
try {
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    cli = await import(source.href);
  } else {
    cli = await import('../dist/src/cli/main.js');
  }
} catch (e) {
  // TensorFlow.js is a peer dependency: when it is missing, say what to install, in one line.
  const missing = /Cannot find (?:package|module) '(@tensorflow\/tfjs(?:-core|-backend-wasm|-backend-cpu)?)'/.exec(String(e?.message));
  if (!missing) throw e;
  process.stderr.write(
    `nanhunt: ${missing[1]} is not installed; nanhunt runs on the project's TensorFlow.js (a peer dependency): npm install --save-dev @tensorflow/tfjs@^4.22.0 @tensorflow/tfjs-backend-wasm@^4.22.0\n`,
  );
  process.exit(2);
}
const code = await cli.main(process.argv.slice(2));
// Exit explicitly: a backend may hold handles open after the run.
process.stdout.write('', () => process.exit(code));
