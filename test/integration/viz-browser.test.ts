/**
 * The pipeline view in a real headless Chromium, after a real run of the retail example on the dev
 * server: `ferry viz` writes a page that works from file:// with no other request, shows the graph's
 * nodes and edges, the run's row counts, and a node's columns on a click; markup in a pipeline stays
 * text; without Temporal the graph still draws. `ferry serve` (a child process) lists pipelines and
 * runs, answers the JSON API without secrets, updates a run page live while the run goes, and stops
 * on SIGINT.
 *
 *   FERRY_UPDATE_SCREENSHOT=1 node --import tsx --test test/integration/viz-browser.test.ts   # also rewrites docs/viz.png
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { startHarness, RETAIL, RETAIL_COLUMNS } from '../support/harness.js';
import { launchChromium } from '../support/chromium.js';
import { workflowUrl } from '../../src/config.js';
import { screenshotViz, SHOT } from '../../scripts/screenshot-viz.js';
import type { RunReport } from '../../src/run.js';
import { FERRY_PIPELINE } from '../../src/search-attributes.js';
import { ferry } from '../support/ferry-cli.js';
import { listRuns } from '../../src/runs.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let dir: string;
let runId: string;
let report: RunReport;

/**
 * Other suites on the same servers reseed the example's bucket and tables (some with a malformed
 * file): a run that fails in ingest is seeded and run again, at most three times.
 */
async function retailRun<T>(go: () => Promise<T>, options: { seed: boolean }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (options.seed || attempt > 1) await h.seed();
    try {
      return await go();
    } catch (err) {
      // A workflow failure whose activity was an ingest, or a page whose run error starts "ingest:".
      const e = err as { message?: string; cause?: { activityType?: string } };
      if (attempt >= 3 || !(e.cause?.activityType === 'ingest' || /^ingest: /.test(e.message ?? ''))) throw err;
      process.stderr.write(`retail failed in ingest (${e.message}); seeding and running it again\n`);
    }
  }
}

before(async () => {
  h = await startHarness();
  const done = await retailRun(() => h.run(RETAIL), { seed: true });
  runId = done.handle.workflowId;
  report = done.report;
  assert.equal(report.status, 'completed');
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'ferry-viz-'));
});
after(async () => {
  await browser?.close();
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});


/** A page that records every request it makes. */
async function open(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, requests, errors };
}

const attr = (page: Page, node: string, name: string) => page.getAttribute(`#graph [data-node="${node}"]`, name);
const count = (page: Page, selector: string) => page.locator(selector).count();

test('`ferry viz`: the retail page from file:// — nodes, edges, row counts, a node\'s columns, no request but the file', async () => {
  const file = join(dir, 'retail.html');
  const res = await ferry(['viz', RETAIL, '--run', runId, '--out', file]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, `wrote ${file}: 29 nodes, 28 edges, run ${runId} (completed)\n`);

  const { page, requests, errors } = await open(pathToFileURL(file).href);
  try {
    assert.equal(await count(page, '#graph [data-node]'), 29);
    assert.deepEqual(await Promise.all(['source', 'step', 'dataset', 'sink'].map((k) => count(page, `#graph [data-kind="${k}"]`))), [5, 13, 7, 3]);
    assert.equal(await count(page, '#graph path.edge'), 28);
    for (const edge of ['source:sales->step:standardize:0', 'step:standardize:6->dataset:enriched@standardize', 'step:preprocess:3->dataset:abnormal_sales@preprocess', 'dataset:sales_final@preprocess->quality:sales_final', 'quality:sales_final->sink:api']) {
      assert.equal(await count(page, `#graph [data-edge="${edge}"]`), 1, edge);
    }

    // The run: its header links to the Temporal UI; every node has its rows.
    assert.equal(await page.textContent('#run-status'), 'completed');
    assert.equal(await page.getAttribute('#run a.id', 'href'), workflowUrl(runId));
    const rows = Object.fromEntries(await Promise.all(['source:sales', 'source:products', 'source:transactions', 'source:customers', 'source:rates',
      'dataset:enriched@standardize', 'dataset:enriched@preprocess', 'dataset:abnormal_sales@preprocess', 'dataset:sales_final@preprocess',
      'sink:warehouse', 'sink:lake', 'sink:api'].map(async (id) => [id, await attr(page, id, 'data-rows')])));
    assert.deepEqual(rows, {
      'source:sales': '11', 'source:products': '5', 'source:transactions': '10', 'source:customers': '6', 'source:rates': '3',
      'dataset:enriched@standardize': '11', 'dataset:enriched@preprocess': '9', 'dataset:abnormal_sales@preprocess': '1', 'dataset:sales_final@preprocess': '9',
      'sink:warehouse': '9', 'sink:lake': '9', 'sink:api': '9',
    });
    assert.equal(await attr(page, 'sink:warehouse', 'data-status'), 'delivered');
    assert.match(await page.textContent('#graph [data-node="sink:warehouse"] text.state') ?? '', /^9 rows · \d+(\.\d)? m?s$/);
    assert.equal(await page.textContent('[data-fact="rows delivered"]'), '27');

    // A click: the details panel shows the dataset's columns, names and types, and its rows.
    await page.click('#graph [data-node="dataset:sales_final@preprocess"]');
    assert.equal(await page.textContent('#details h2'), 'sales_final');
    const columns = await page.$$eval('#details table.columns tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(columns.map((c) => c[0]), [...RETAIL_COLUMNS]);
    const staged = report.stages.find((s) => s.stage === 'preprocess')!.datasets.find((d) => d.dataset === 'sales_final')!;
    assert.deepEqual(columns, staged.schema!.map((c) => [c.name, c.type]));
    assert.deepEqual(Object.fromEntries(columns.filter((c) => ['sale_id', 'sale_date', 'quantity', 'amount_usd'].includes(c[0]!)).map((c) => [c[0], c[1]])),
      { sale_id: 'VARCHAR', sale_date: 'DATE', quantity: 'INTEGER', amount_usd: 'DECIMAL(12,2)' });
    assert.equal(await page.textContent('#details [data-detail="rows"]'), '9');
    assert.equal(await count(page, '#graph path.edge.hot'), 2, 'its edge in and its edge out (to the quality rules) are highlighted');

    // A source: its config as written, its connection with references only.
    await page.click('#graph [data-node="source:customers"]');
    assert.match(await page.textContent('#details pre.connection') ?? '', /"token": "\$\{env:DEMO_API_TOKEN\}"/);
    assert.ok(!(await page.content()).includes(h.token), 'the token the worker used is nowhere in the page');

    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'nothing but the file itself');
    assert.deepEqual(requests, [pathToFileURL(file).href]);
  } finally {
    await page.close();
  }

  // The screenshot in the docs is this page (FERRY_UPDATE_SCREENSHOT=1 rewrites it).
  const png = process.env.FERRY_UPDATE_SCREENSHOT === '1' ? 'docs/viz.png' : join(dir, 'viz.png');
  await screenshotViz(file, png, 'dataset:sales_final@preprocess');
  const bytes = await readFile(png);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(bytes.readUInt32BE(16), SHOT.width * SHOT.deviceScaleFactor, 'as wide as the window');
});

test('`ferry viz` picks the latest run by default; a run of another pipeline or an unknown run is an error', async () => {
  const file = join(dir, 'latest.html');
  // Visibility is eventually consistent: wait until it lists this suite's run among retail's.
  await h.waitFor('visibility to list the suite\'s run', async () => (await listRuns(h.client, { pipeline: 'retail', limit: 5 })).some((r) => r.workflowId === runId), 30_000);
  const latest = await ferry(['viz', RETAIL, '--out', file]);
  assert.equal(latest.code, 0, latest.stderr);
  const id = /, run (\S+) \((\w+|timed out)\)\n$/.exec(latest.stdout)?.[1];
  assert.ok(id, latest.stdout);
  const desc = await h.client.workflow.getHandle(id).describe();
  assert.equal(desc.typedSearchAttributes.get(FERRY_PIPELINE), 'retail');
  assert.ok(desc.startTime.getTime() >= (await h.client.workflow.getHandle(runId).describe()).startTime.getTime(), 'not older than the run this suite made');

  const other = join(dir, 'other.yaml');
  await writeFile(other, (await readFile(RETAIL, 'utf8')).replace(/^name: retail$/m, 'name: retail_copy'));
  const wrong = await ferry(['viz', other, '--run', runId, '--out', join(dir, 'wrong.html')], { FERRY_CONNECTIONS: 'config/connections.yaml' });
  assert.deepEqual([wrong.code, wrong.stderr], [1, `error: run ${runId} is a run of pipeline retail, not retail_copy\n`]);
  const missing = await ferry(['viz', RETAIL, '--run', 'no-such-run-here', '--out', join(dir, 'missing.html')]);
  assert.deepEqual([missing.code, missing.stderr], [1, 'error: no run with id no-such-run-here (ferry runs lists the recent ones)\n']);
});

test('`ferry viz` without Temporal: the page says so and still draws the graph', async () => {
  const file = join(dir, 'offline.html');
  const res = await ferry(['viz', RETAIL, '--out', file], { TEMPORAL_ADDRESS: '127.0.0.1:9' });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, new RegExp(`^wrote ${file}: 29 nodes, 28 edges, no run\nTemporal is not reachable at 127\\.0\\.0\\.1:9 \\(.+\\): the graph without a run\\.\n$`));
  const { page, errors } = await open(pathToFileURL(file).href);
  try {
    assert.equal(await count(page, '#graph [data-node]'), 29);
    assert.match(await page.textContent('#notice') ?? '', /^Temporal is not reachable at 127\.0\.0\.1:9/);
    assert.equal(await page.isHidden('#run'), true);
    await page.click('#graph [data-node="source:sales"]');
    assert.equal(await page.textContent('#details h3:has-text("Columns")'), 'Columns (declared)');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('markup in a pipeline stays text in the browser: nothing injected runs', async () => {
  const pipelines = join(dir, 'hostile');
  await mkdir(pipelines, { recursive: true });
  const description = `</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">`;
  await writeFile(join(pipelines, 'hostile.yaml'), [
    'name: hostile',
    `description: '${description}'`,
    'sources: { things: { type: file, path: data/things.csv } }',
    `preprocess: [{ type: derive, input: things, columns: { label: "'<svg onload=window.pwned=3>'" } }]`,
    '',
  ].join('\n'));
  await writeFile(join(pipelines, 'connections.yaml'), '{}\n');
  const file = join(dir, 'hostile.html');
  const res = await ferry(['viz', join(pipelines, 'hostile.yaml'), '--out', file], { TEMPORAL_ADDRESS: '127.0.0.1:9', FERRY_CONNECTIONS: join(pipelines, 'connections.yaml') });
  assert.equal(res.code, 0, res.stderr);
  const { page, requests } = await open(pathToFileURL(file).href);
  try {
    await page.click('#graph [data-node="step:preprocess:0"]');
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
    assert.equal(await page.textContent('.description'), description);
    assert.equal(await count(page, 'script'), 2);
    assert.equal(await count(page, 'img, #details svg'), 0);
    assert.match(await page.textContent('#details pre.config') ?? '', /"label": "'<svg onload=window.pwned=3>'"/);
    assert.deepEqual(requests, [pathToFileURL(file).href], 'the <img src=x> never loaded');
  } finally {
    await page.close();
  }
});

/** `ferry serve --port 0` in a child process; resolves with its URL once it listens. */
async function serve(folder = 'config/pipelines'): Promise<{ url: string; child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['bin/ferry.js', 'serve', '--port', '0', '--dir', folder], { env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await h.waitFor('ferry serve to listen', () => /on http:\/\/127\.0\.0\.1:\d+ /.test(out), 30_000).catch((err: unknown) => {
    child.kill('SIGKILL'); // never leave it behind
    throw new Error(`${(err as Error).message}: ${out}`);
  });
  return { url: /on (http:\/\/127\.0\.0\.1:\d+) /.exec(out)![1]!, child, output: () => out, exited };
}

test('`ferry serve`: the index lists pipelines and runs, the JSON API answers without secrets, SIGINT stops it', async () => {
  const server = await serve();
  try {
    assert.match(server.output(), /^serving 2 pipelines from config\/pipelines on http:\/\/127\.0\.0\.1:\d+ {2}\(Ctrl-C stops\)\n$/);
    const { page, errors } = await open(server.url);
    assert.equal(await page.getAttribute('[data-pipeline="retail"] a', 'href'), '/pipelines/retail');
    assert.equal(await count(page, `[data-run="${runId}"]`), 1);
    await page.click(`[data-run="${runId}"] a`);
    await page.waitForURL(`${server.url}/runs/${runId}`);
    assert.equal(await count(page, '#graph [data-node]'), 29);
    assert.equal(await attr(page, 'sink:lake', 'data-rows'), '9');
    await page.click('.crumbs a[href="/pipelines/retail"]');
    await page.waitForURL(`${server.url}/pipelines/retail`);
    assert.equal(await count(page, '#graph [data-node]'), 29);
    assert.ok(await count(page, '#runs [data-run]') >= 1, "the pipeline's run list");
    assert.deepEqual(errors, []);
    await page.close();

    const json = async (path: string) => {
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      for (const secret of [h.token, process.env.AWS_SECRET_ACCESS_KEY!]) assert.ok(!text.includes(secret), `${path} holds no secret`);
      return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) as Record<string, unknown> };
    };
    const pipelines = await json('/api/pipelines');
    assert.deepEqual(pipelines.body, { pipelines: [
      { name: 'daily-sales', file: 'config/pipelines/daily-sales.yaml', description: 'The run date\'s sales, one CSV per day', nodes: 8, edges: 7 },
      { name: 'retail', file: 'config/pipelines/retail.yaml', description: 'Enriched sales with USD amounts, from three kinds of source to three kinds of sink', nodes: 29, edges: 28 },
    ] });
    assert.equal(pipelines.type, 'application/json; charset=utf-8');
    const graph = (await json('/api/pipelines/retail')).body as { nodes: { id: string }[]; edges: unknown[] };
    assert.deepEqual([graph.nodes.length, graph.edges.length, graph.nodes[0]!.id], [29, 28, 'source:sales']);
    const runs = (await json('/api/runs?pipeline=retail&status=completed&limit=100')).body as { runs: { workflowId: string; status: string; pipeline: string }[] };
    assert.ok(runs.runs.some((r) => r.workflowId === runId));
    assert.ok(runs.runs.every((r) => r.status === 'completed' && r.pipeline === 'retail'));
    const one = (await json(`/api/runs/${runId}`)).body as { run: { status: string; rowsDelivered: number; nodes: Record<string, { rows?: number; columns?: unknown[] }> }; report: RunReport };
    assert.deepEqual([one.run.status, one.run.rowsDelivered, one.run.nodes['sink:warehouse']!.rows, one.run.nodes['dataset:sales_final@preprocess']!.columns!.length], ['completed', 27, 9, 14]);
    assert.equal(one.report.workflowId, runId);
    assert.deepEqual(await json('/api/runs/no-such-run-here'), { status: 404, type: 'application/json; charset=utf-8', body: { error: 'no run with id no-such-run-here (ferry runs lists the recent ones)', status: 404 } });
    assert.equal((await json('/api/runs?limit=x')).status, 400);
  } finally {
    server.child.kill('SIGINT');
  }
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /stopped\n$/);
});

test('`ferry serve`: a run page draws the pipeline the run got (its plan), even when the folder no longer has it', async () => {
  const empty = join(dir, 'no-pipelines');
  await mkdir(empty, { recursive: true });
  const server = await serve(empty);
  try {
    assert.deepEqual(await (await fetch(`${server.url}/api/pipelines`)).json(), { pipelines: [] });
    const { page, errors } = await open(`${server.url}/runs/${runId}`);
    assert.equal(await page.textContent('h1'), `retail · ${runId}`);
    assert.equal(await count(page, '#graph [data-node]'), 29);
    assert.equal(await attr(page, 'sink:api', 'data-rows'), '9');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    server.child.kill('SIGINT');
    await server.exited;
  }
});

test('a live run page: the numbers change while the run goes', async () => {
  const server = await serve();
  h.api.customersDelayMs = 2000; // two pages of customers: ingest takes about 4 s
  try {
    type Snapshot = { status: string | null; sales: string | null; customers: string | null; warehouse: string | null; delivered: string | null };
    // One run watched from its run page, a snapshot of the page every poll of ours until it ends.
    const watch = async (): Promise<{ seen: Snapshot[]; polls: number; errors: string[] }> => {
      const handle = await h.start(RETAIL);
      const { page, errors } = await open(`${server.url}/runs/${handle.workflowId}`);
      const seen: Snapshot[] = [];
      // A string, not a function: tsx would wrap a function's inner helpers in a name shim the page lacks.
      const snapshot = async () => seen.push(await page.evaluate(`(() => {
        const rows = (id) => document.querySelector('#graph [data-node="' + id + '"]')?.getAttribute('data-rows') ?? null;
        return {
          status: document.querySelector('#run-status')?.textContent ?? null,
          sales: rows('source:sales'), customers: rows('source:customers'), warehouse: rows('sink:warehouse'),
          delivered: document.querySelector('[data-fact="rows delivered"]')?.textContent ?? null,
        };
      })()`) as Snapshot);
      await snapshot();
      await h.waitFor('the page to show the run ended', async () => {
        await snapshot();
        return seen[seen.length - 1]!.status !== 'running';
      }, 60_000);
      const polls = Number(await page.getAttribute('body', 'data-polls'));
      const failure = await page.evaluate(`document.querySelector('#run pre.error')?.textContent ?? null`) as string | null;
      await page.close();
      if (seen[seen.length - 1]!.status === 'failed') throw new Error(failure ?? `run ${handle.workflowId} failed`);
      return { seen, polls, errors };
    };
    const { seen, polls, errors } = await retailRun(watch, { seed: false }); // seeded before all tests
    const [first, last] = [seen[0]!, seen[seen.length - 1]!];
    assert.deepEqual({ status: first.status, customers: first.customers, warehouse: first.warehouse, delivered: first.delivered }, { status: 'running', customers: null, warehouse: null, delivered: null });
    assert.ok(seen.some((s) => s.status === 'running' && s.sales === '11' && s.customers === null), 'mid-run: sales counted, customers still coming');
    assert.deepEqual(last, { status: 'completed', sales: '11', customers: '6', warehouse: '9', delivered: '27' });
    assert.ok(polls >= 2, 'updated by polling the API');
    assert.deepEqual(errors, []);
  } finally {
    h.api.customersDelayMs = 0;
    server.child.kill('SIGINT');
    await server.exited;
  }
});
