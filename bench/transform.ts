/**
 * Benchmark: CSV in, the standardize/preprocess step engine on generated sales (join with products, date
 * parsing, dedupe, fill, outliers, derived column) next to the same work in pandas, in the same run.
 * Prints seconds per engine and the peak RSS of each process.
 *
 *   node --import tsx bench/transform.ts [rows=1000000]
 *
 * The pandas baseline needs Debian's python3-pandas (`apt-get install python3-pandas`); without it
 * only Ferry's figure is printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TableEngine } from '../src/table/engine.js';
import { applySteps, stepSchema } from '../src/table/steps/index.js';
import { readTableFile } from '../src/table/formats.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
// CSV in: Debian's pandas has no Parquet engine (no pyarrow package), and both engines read the same files.
const sales = join(dir, 'sales.csv');
const products = join(dir, 'products.csv');

const gen = await TableEngine.open(join(dir, 'gen'), { allowDirectories: [dir] });
// 2% duplicate sale ids, 1% missing quantities, a handful of absurd amounts, dates as text.
await gen.run(`COPY (SELECT (i - (i % 50 = 0)::INT) AS sale_id, strftime(DATE '2024-01-01' + (i % 365)::INT, '%d/%m/%Y') AS sale_date,
  (i % 1000) AS product_id, CASE WHEN i % 100 = 0 THEN NULL ELSE 1 + i % 5 END AS quantity,
  CASE WHEN i % 100000 = 7 THEN 1e9 ELSE round(random() * 500, 2) END AS amount FROM range(${rows}) t(i)) TO '${sales}' (FORMAT csv)`);
await gen.run(`COPY (SELECT i AS product_id, 'product ' || i AS product_name, 'cat ' || (i % 20) AS category, 1 + (i % 7) * 0.5 AS rate FROM range(1000) t(i)) TO '${products}' (FORMAT csv)`);
gen.close();

const steps = [
  { type: 'dates', input: 'sales', columns: ['sale_date'], formats: ['%d/%m/%Y'] },
  { type: 'join', left: 'sales', right: 'products', on: ['product_id'], how: 'left', output: 'enriched' },
  { type: 'dedupe', input: 'enriched', keys: ['sale_id'] },
  { type: 'fill', input: 'enriched', columns: { quantity: 1 } },
  { type: 'outliers', input: 'enriched', column: 'amount', method: 'iqr', factor: 3, action: 'drop' },
  { type: 'derive', input: 'enriched', columns: { amount_usd: 'round(amount * rate, 2)' } },
].map((s) => stepSchema.parse(s));

const t = await TableEngine.open(join(dir, 'ferry'), { allowDirectories: [dir] });
const t0 = process.hrtime.bigint();
await readTableFile(t, 'sales', sales, {}, { file: sales });
await readTableFile(t, 'products', products, {}, { file: products });
let tStep = process.hrtime.bigint();
const stepTimes: string[] = [`read ${(Number(tStep - t0) / 1e9).toFixed(2)}s`];
await applySteps(t, 'preprocess', steps, (i) => {
  const now = process.hrtime.bigint();
  stepTimes.push(`${steps[i]!.type} ${(Number(now - tStep) / 1e9).toFixed(2)}s`);
  tStep = now;
});
const out = await t.exportParquet('enriched', join(dir, 'out.parquet'));
const ferrySeconds = Number(process.hrtime.bigint() - t0) / 1e9;
t.close();

const pandasScript = `
import pandas as pd, time, resource
t0 = time.time()
s = pd.read_csv(${JSON.stringify(sales)}); p = pd.read_csv(${JSON.stringify(products)})
s['sale_date'] = pd.to_datetime(s['sale_date'], format='%d/%m/%Y')
e = s.merge(p, on='product_id', how='left').drop_duplicates(subset=['sale_id'], keep='first')
e['quantity'] = e['quantity'].fillna(1)
q1, q3 = e['amount'].quantile(0.25), e['amount'].quantile(0.75)
e = e[(e['amount'] >= q1 - 3 * (q3 - q1)) & (e['amount'] <= q3 + 3 * (q3 - q1))]
e['amount_usd'] = (e['amount'] * e['rate']).round(2)
e.to_csv(${JSON.stringify(join(dir, 'pandas.csv'))}, index=False)
print(f"{time.time() - t0:.2f} {len(e)} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")
`;
const pandas = spawnSync('/usr/bin/python3', ['-c', pandasScript], { encoding: 'utf8' });

console.log(`transform: ${rows.toLocaleString('en-US')} sales rows, 1,000 products; dates, join, dedupe, fill, outliers, derive`);
console.log(`  ferry (DuckDB steps)   ${ferrySeconds.toFixed(2)} s   [${stepTimes.join(', ')}]`);
console.log(`                         ${ferrySeconds.toFixed(2)} s   ${out.rows.toLocaleString('en-US')} rows out   peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (this process)`);
if (pandas.status === 0) {
  const [secs, n, rss] = pandas.stdout.trim().split(' ');
  console.log(`  pandas (baseline)      ${Number(secs).toFixed(2)} s   ${Number(n).toLocaleString('en-US')} rows out   peak RSS ${rss} MB`);
  console.log(`  ferry is ${(Number(secs) / ferrySeconds).toFixed(1)}× the speed of pandas here`);
} else {
  console.log(`  pandas baseline not run: ${pandas.stderr.trim().split('\n').at(-1) ?? 'python3 failed'} (apt-get install python3-pandas)`);
}
await rm(dir, { recursive: true, force: true });
