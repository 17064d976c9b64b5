// Regenerates the catalog table in README.md from the tables in properties/.
import { readFileSync, writeFileSync } from 'node:fs';
import { updateReadme } from '../src/catalog/docs.ts';
import { CATALOG_TABLE } from '../src/catalog/tables.ts';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, updateReadme(readFileSync(file, 'utf8'), CATALOG_TABLE));
console.log(`README.md: catalog table with ${CATALOG_TABLE.length} entries`);
