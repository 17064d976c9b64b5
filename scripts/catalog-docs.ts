// Regenerates the catalog table in docs/catalog.md from the tables in properties/.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOG_DOC_FILE, updateCatalogDoc } from '../src/catalog/docs.ts';
import { OP_TABLE } from '../properties/index.ts';

writeFileSync(CATALOG_DOC_FILE, updateCatalogDoc(readFileSync(CATALOG_DOC_FILE, 'utf8'), OP_TABLE));
console.log(`${path.relative(process.cwd(), CATALOG_DOC_FILE)}: catalog table with ${OP_TABLE.length} entries`);
