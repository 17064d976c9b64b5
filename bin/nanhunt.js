#!/usr/bin/env node
// nanhunt's command line. The sources are TypeScript; tsx loads them without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Exit explicitly: a backend may hold handles open after the run.
process.stdout.write('', () => process.exit(code));
