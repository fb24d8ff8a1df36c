/**
 * Child process of postgres-faults.test.ts: loads N rows into a table with the postgres sink and
 * prints `copying` at the first progress note, so the test can SIGKILL it mid-COPY.
 *
 *   node --import tsx test/integration/sinks/postgres-kill-child.ts <schema.table> <mode> <rows> <runKey>
 */
import { pgAdapters } from '../../support/pg-adapters.js';

const [table, mode, rows, runKey] = process.argv.slice(2) as [string, string, string, string];
const db = await pgAdapters();
const t = await db.engine();
await t.run(`CREATE TABLE items AS SELECT i + 1000000 AS id, md5(i::VARCHAR) AS label, DATE '2024-01-01' + CAST(i % 3 AS INTEGER) AS day FROM range(${Number(rows)}) r(i)`);
let told = false;
await db.write(t, { table, mode, ...(mode === 'upsert' ? { keys: ['id'] } : mode === 'merge' ? { merge_keys: ['day'] } : {}) }, {
  runKey,
  progress: () => {
    if (!told) process.stdout.write('copying\n');
    told = true;
  },
});
process.stdout.write('done\n');
await db.close();
