/**
 * The governed run in a real headless Chromium, from fixture reports (no Temporal needed): a run
 * waiting at the quality gate shows its failed rule with counts, "waiting", since when and the
 * `ferry approve <id>` hint; a click lists every rule's result and sample rows; a decided run shows
 * the decision, who made it and each dataset's catalog version; a report from before the quality
 * stage still renders; a live page keeps polling a waiting run and redraws it once decided. No
 * console error and no request but the page's own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { pipelineGraph } from '../../src/viz/model.js';
import { layoutGraph } from '../../src/viz/layout.js';
import { runState } from '../../src/viz/run-state.js';
import { vizPage, CSP, type PageInput } from '../../src/viz/page.js';
import type { RunReport } from '../../src/run.js';
import type { RunListing } from '../../src/runs.js';
import { shopPipeline, shopListing, waitingReport, decidedReport, oldReport, SHOP_ID } from '../support/viz-govern.js';

let browser: Awaited<ReturnType<typeof launchChromium>>;
let dir: string;
const graph = pipelineGraph(shopPipeline());
const layout = layoutGraph(graph);

before(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'ferry-viz-quality-'));
});
after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pageFor = (status: RunListing['status'], report: RunReport, extra: Partial<PageInput> = {}) =>
  vizPage({ title: `shop · ${SHOP_ID}`, graph, layout, run: runState(graph, { listing: shopListing(status), report, url: 'http://127.0.0.1:8233/x' }), ...extra });

/** A page with every console error, page error and request it makes recorded. */
async function open(url: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, problems, requests };
}

async function openFile(name: string, html: string) {
  const file = join(dir, name);
  await writeFile(file, html);
  return { ...(await open(pathToFileURL(file).href)), url: pathToFileURL(file).href };
}

const text = async (page: Page, selector: string) => (await page.textContent(selector))?.replace(/\s+/g, ' ').trim();
const nodeText = (page: Page, id: string, line: string) => page.textContent(`#graph [data-node="${id}"] text.${line}`);

test('a run waiting at the gate: the failed rule and its counts, "waiting", since when, the deadline and the approve hint', async () => {
  const { page, problems, requests, url } = await openFile('waiting.html', pageFor('running', waitingReport()));
  try {
    assert.equal(await page.textContent('#run-status'), 'waiting');
    assert.equal(await page.textContent('[data-fact="stage"]'), 'quality');
    assert.equal(await page.textContent('[data-fact="quality"]'), 'ask (1 failed, 1 warned, 2 passed)');
    assert.equal(await text(page, '#gate > strong'), 'Waiting for a decision');
    assert.equal(await text(page, '#gate > span'), 'since 2024-01-05 00:01:00Z · deadline 2024-01-06 00:01:00Z, then reject');
    assert.equal(await text(page, '#gate .rules'), 'rules that failed: not_null:paid.id');
    assert.deepEqual(await page.$$eval('#gate .commands code', (cs) => cs.map((c) => c.textContent)),
      [`ferry approve ${SHOP_ID}`, `ferry reject ${SHOP_ID}`, `ferry quarantine ${SHOP_ID}`]);
    assert.equal(await page.isVisible(`#gate code:has-text("ferry approve ${SHOP_ID}")`), true);

    // On the graph: the rules' node waits, with its counts; its split waits too; no sink started.
    assert.equal(await page.getAttribute('#graph [data-node="quality:paid"]', 'data-status'), 'waiting');
    assert.equal(await nodeText(page, 'quality:paid', 'name'), 'paid');
    assert.equal(await nodeText(page, 'quality:paid', 'sub'), 'quality · 3 rules');
    assert.equal(await nodeText(page, 'quality:paid', 'state'), '1 failed · 1 warned · 1 ok');
    assert.equal(await nodeText(page, 'quality:paid', 'extra'), 'waiting for a decision');
    assert.equal(await nodeText(page, 'quality:customers', 'state'), '1 ok');
    assert.equal(await page.getAttribute('#graph [data-node="dataset:paid_rejects@quality"]', 'data-status'), 'waiting');
    assert.equal(await nodeText(page, 'sink:bad', 'state'), 'not started');
    assert.equal(await page.locator('#graph .node.status-waiting').count(), 3);

    // A click: every rule with its kind, severity, on_fail, result, counts, message and sample rows.
    await page.click('#graph [data-node="quality:paid"]');
    assert.equal(await page.textContent('#details h2'), 'paid');
    assert.equal(await page.textContent('#details h3:has-text("Rules")'), 'Rules (3)');
    const rules = await page.$$eval('#details .rule', (rs) => rs.map((r) => [r.getAttribute('data-rule'), r.querySelector('.badge')?.textContent, r.querySelector('.meta')?.textContent, r.querySelector('.counts')?.textContent, r.querySelector('.message')?.textContent]));
    assert.deepEqual(rules, [
      ['not_null:paid.id', 'failed', 'not_null · row rule · error · on_fail ask', '2 of 10 rows failed · allowed: none', '2 of 10 rows have NULL in id (20.00%; allowed 0)'],
      ['range:paid.amount', 'warned', 'range · row rule · warn (reported only)', '1 of 10 rows failed · allowed: none', '1 of 10 rows have amount above 1000'],
      ['known_customer', 'passed', 'referential · row rule · error · on_fail quarantine', '0 of 10 rows failed · allowed: none', 'every customer_id is in customers.id'],
    ]);
    const samples = await page.$$eval('#details [data-rule="not_null:paid.id"] table.samples tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(samples, [['id', 'customer_id', 'amount', '_reason'], ['NULL', 'c1', '12.50', 'id is NULL'], ['NULL', 'c2', '3.00', 'id is NULL']]);
    assert.equal(await page.textContent('#details [data-detail="gate"]'), 'waiting for a decision');

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url], 'nothing but the file itself');
  } finally {
    await page.close();
  }
});

test('a decided, recorded run: the decision and who made it, the split\'s rows, each dataset\'s catalog version', async () => {
  const { page, problems } = await openFile('decided.html', pageFor('completed', decidedReport()));
  try {
    assert.equal(await page.textContent('#run-status'), 'completed');
    assert.equal(await page.locator('#gate').count(), 0);
    assert.equal(await text(page, '#decision'), 'Decision: quarantine by alice@example.com at 2024-01-05 01:59:00Z · late ids, keep them aside');
    assert.equal(await page.textContent('[data-fact="report"]'), `file:///stage/shop/${SHOP_ID}/report.json`);
    assert.equal(await page.textContent('[data-fact="pipeline sha256"]'), 'ab12cd34ef56');
    assert.equal(await nodeText(page, 'quality:paid', 'extra'), 'quarantined by alice@exa…');
    assert.equal(await page.getAttribute('#graph [data-node="quality:paid"]', 'data-status'), 'quarantined');
    for (const [id, rows] of [['dataset:paid@quality', '8'], ['dataset:paid_rejects@quality', '2'], ['sink:bad', '2']] as const) {
      assert.equal(await page.getAttribute(`#graph [data-node="${id}"]`, 'data-rows'), rows, id);
      assert.equal(await page.getAttribute(`#graph [data-node="${id}"]`, 'data-version'), SHOP_ID, id);
      assert.equal(await nodeText(page, id, 'extra'), 'v 2024-01-05T00:00:00Z', id);
    }
    await page.click('#graph [data-node="dataset:paid_rejects@quality"]');
    assert.equal(await page.textContent('#details [data-detail="version"]'), SHOP_ID);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a report from before the quality stage renders: no gate, no decision, no version; the rules were not run', async () => {
  const { page, problems } = await openFile('old.html', pageFor('completed', oldReport()));
  try {
    assert.equal(await page.textContent('#run-status'), 'completed');
    assert.deepEqual(await Promise.all(['#gate', '#decision', '[data-fact="quality"]', '[data-fact="report"]', '#graph [data-version]'].map((s) => page.locator(s).count())), [0, 0, 0, 0, 0]);
    assert.equal(await nodeText(page, 'quality:paid', 'state'), 'not run');
    assert.equal(await page.getAttribute('#graph [data-node="sink:good"]', 'data-rows'), '8');
    await page.click('#graph [data-node="quality:paid"]');
    assert.deepEqual(await page.$$eval('#details .rule .badge', (bs) => bs.map((b) => b.textContent)), []);
    assert.equal(await page.locator('#details .rule').count(), 3, 'the rules as the pipeline lists them');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('a live page keeps polling a waiting run and redraws it when the decision comes', async () => {
  let polls = 0;
  const api = `/api/runs/${encodeURIComponent(SHOP_ID)}`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP });
      res.end(pageFor('running', waitingReport(), { liveApi: api }));
      return;
    }
    if (req.url === api) {
      polls += 1;
      // Two answers while it waits, then the decided run.
      const run = polls <= 2 ? runState(graph, { listing: shopListing('running'), report: waitingReport(), url: 'u' }) : runState(graph, { listing: shopListing('completed'), report: decidedReport(), url: 'u' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ run }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { page, problems } = await open(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  try {
    assert.equal(await page.textContent('#run-status'), 'waiting');
    await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'completed', undefined, { timeout: 15_000 });
    assert.equal(polls, 3, 'polled while waiting, stopped once decided');
    assert.equal(await page.locator('#gate').count(), 0);
    assert.equal(await text(page, '#decision'), 'Decision: quarantine by alice@example.com at 2024-01-05 01:59:00Z · late ids, keep them aside');
    assert.equal(await page.getAttribute('#graph [data-node="quality:paid"]', 'data-status'), 'quarantined');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(polls, 3, 'no poll after the run ended');
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
