/** Writes docs/reference.md from the schemas: `npm run docs`. */
import { writeFileSync } from 'node:fs';
import { renderReference } from '../src/pipeline/reference.js';

writeFileSync('docs/reference.md', renderReference());
process.stdout.write('wrote docs/reference.md\n');
