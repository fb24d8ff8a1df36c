/**
 * The retail example as a graph: exactly these nodes (sources, steps, staged datasets, sinks) and
 * these edges; configs shown as written, with secrets reduced to their `${env:…}` references.
 */
import { loadRetailPlain } from '../../support/retail-plain.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../../src/pipeline/load.js';
import { pipelineGraph, masked, maskSecretText, summarize } from '../../../src/viz/model.js';
import { connectionSchema } from '../../../src/connect/connections.js';
import { sourceSchema } from '../../../activities/sources/index.js';

const retail = async () => pipelineGraph(await loadRetailPlain());

test('retail: every source, step, staged dataset and sink is a node, in run order', async () => {
  const g = await retail();
  assert.equal(g.pipeline, 'retail');
  assert.equal(g.file, 'config/pipelines/retail.yaml');
  assert.deepEqual(g.nodes.map((n) => `${n.id} ${n.kind} ${n.type}`), [
    'source:sales source s3',
    'source:products source postgres',
    'source:transactions source postgres',
    'source:customers source http',
    'source:rates source http',
    'step:standardize:0 step dates', 'step:standardize:1 step rename', 'step:standardize:2 step rename',
    'step:standardize:3 step join', 'step:standardize:4 step join', 'step:standardize:5 step join', 'step:standardize:6 step join',
    'dataset:sales@standardize dataset dataset', 'dataset:products@standardize dataset dataset',
    'dataset:customers@standardize dataset dataset', 'dataset:enriched@standardize dataset dataset',
    'step:preprocess:0 step dedupe', 'step:preprocess:1 step fill', 'step:preprocess:2 step derive',
    'step:preprocess:3 step outliers', 'step:preprocess:4 step derive', 'step:preprocess:5 step select',
    'dataset:enriched@preprocess dataset dataset', 'dataset:abnormal_sales@preprocess dataset dataset', 'dataset:sales_final@preprocess dataset dataset',
    'sink:warehouse sink postgres', 'sink:lake sink s3', 'sink:api sink http',
  ]);
});

test('retail: edges follow the datasets; a step chaining in place feeds the next step directly', async () => {
  const g = await retail();
  assert.deepEqual(g.edges.map((e) => `${e.from} -> ${e.to} (${e.dataset})`), [
    'source:sales -> step:standardize:0 (sales)',
    'source:products -> step:standardize:1 (products)',
    'source:customers -> step:standardize:2 (customers)',
    'step:standardize:0 -> step:standardize:3 (sales)',
    'source:transactions -> step:standardize:3 (transactions)',
    'step:standardize:3 -> step:standardize:4 (enriched)',
    'step:standardize:1 -> step:standardize:4 (products)',
    'step:standardize:4 -> step:standardize:5 (enriched)',
    'step:standardize:2 -> step:standardize:5 (customers)',
    'step:standardize:5 -> step:standardize:6 (enriched)',
    'source:rates -> step:standardize:6 (rates)',
    'step:standardize:0 -> dataset:sales@standardize (sales)',
    'step:standardize:1 -> dataset:products@standardize (products)',
    'step:standardize:2 -> dataset:customers@standardize (customers)',
    'step:standardize:6 -> dataset:enriched@standardize (enriched)',
    'dataset:enriched@standardize -> step:preprocess:0 (enriched)',
    'step:preprocess:0 -> step:preprocess:1 (enriched)',
    'step:preprocess:1 -> step:preprocess:2 (enriched)',
    'step:preprocess:2 -> step:preprocess:3 (enriched)',
    'step:preprocess:3 -> step:preprocess:4 (enriched)',
    'step:preprocess:4 -> step:preprocess:5 (enriched)',
    'step:preprocess:4 -> dataset:enriched@preprocess (enriched)',
    'step:preprocess:3 -> dataset:abnormal_sales@preprocess (abnormal_sales)',
    'step:preprocess:5 -> dataset:sales_final@preprocess (sales_final)',
    'dataset:sales_final@preprocess -> sink:warehouse (sales_final)',
    'dataset:sales_final@preprocess -> sink:lake (sales_final)',
    'dataset:sales_final@preprocess -> sink:api (sales_final)',
  ]);
});

test('retail: a node carries its type, a config summary, its config and its connection as written', async () => {
  const g = await retail();
  const node = (id: string) => g.nodes.find((n) => n.id === id)!;
  assert.equal(node('source:sales').summary, 'connection: lake · bucket: ferry-demo · key: raw/sales.csv · columns: { sale_id: VARCHAR,…');
  assert.deepEqual(node('source:sales').declaredColumns?.map((c) => `${c.name} ${c.type}`), [
    'sale_id VARCHAR', 'sale_date VARCHAR', 'customer_id VARCHAR', 'product_id VARCHAR', 'quantity INTEGER', 'amount DECIMAL(10,2)', 'currency VARCHAR',
  ]);
  assert.equal(node('step:standardize:3').name, 'join → enriched');
  assert.equal(node('step:standardize:3').summary, 'right: transactions · on: [sale_id] · how: left · unique_right: true');
  assert.deepEqual(node('step:standardize:3').reads, ['sales', 'transactions']);
  assert.deepEqual(node('step:preprocess:3').writes, ['enriched', 'abnormal_sales']);
  assert.equal(node('sink:api').summary, 'connection: demo_api · path: /ingest · method: POST · batch_size: 4 · wrap: records');
  assert.deepEqual(node('sink:api').connection, {
    name: 'demo_api',
    config: { type: 'http', base_url: '${env:DEMO_API_URL:-http://127.0.0.1:8787}', headers: {}, auth: { type: 'bearer', token: '${env:DEMO_API_TOKEN}' }, timeout: '30s' },
  });
  assert.equal((node('sink:lake').connection?.config as Record<string, unknown>).secret_access_key, '${env:AWS_SECRET_ACCESS_KEY}');
});

test('the graph holds no secret even when the environment has them: references are never resolved', async () => {
  process.env.DEMO_API_TOKEN = 'tok-not-in-the-graph';
  process.env.AWS_SECRET_ACCESS_KEY = 'aws-not-in-the-graph';
  try {
    const text = JSON.stringify(await retail());
    assert.ok(!text.includes('tok-not-in-the-graph') && !text.includes('aws-not-in-the-graph'));
    assert.ok(text.includes('${env:DEMO_API_TOKEN}'));
  } finally {
    delete process.env.DEMO_API_TOKEN;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});

test('secret fields keep only their references; literals in free-text secrets and URL credentials are masked', () => {
  assert.equal(maskSecretText('${env:TOKEN}'), '${env:TOKEN}');
  assert.equal(maskSecretText('Bearer ${env:TOKEN}'), 'Bearer ${env:TOKEN}');
  assert.equal(maskSecretText('${env:TOKEN:-fallback-secret}'), '${env:TOKEN:-***}');
  assert.equal(maskSecretText('literal-key'), '***');
  assert.equal(maskSecretText('k=abc ${env:X}'), '***${env:X}');
  const http = masked(connectionSchema, { type: 'http', base_url: 'https://user:pw@api.example/v1?api_key=k1', headers: { 'X-Key': 'abc123', Auth: 'Token ${env:T}' } });
  assert.deepEqual(http, { type: 'http', base_url: 'https://user:***@api.example/v1?api_key=***', headers: { 'X-Key': '***', Auth: 'Token ${env:T}' } });
  // Pipelines hold no secret fields (references belong in connections): a source stays as written.
  const src = { type: 'http', connection: 'api', path: '/x', query: { page: '1' } };
  assert.deepEqual(masked(sourceSchema, src), src);
});

test('summaries skip empty values and retry, and are cut at 90 characters', () => {
  assert.equal(summarize({ type: 'x', a: 1, b: {}, c: [], retry: { maximum_attempts: 2 }, d: [1, 2] }, ['type']), 'a: 1 · d: [1, 2]');
  assert.equal(summarize({ q: 'x'.repeat(200) }, []).length, 90);
});

test('a quarantining source gets a rejects dataset node; a sink can read it straight from ingest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-viz-model-'));
  try {
    const file = join(dir, 'q.yaml');
    await writeFile(file, [
      'name: q',
      'sources: { orders: { type: file, path: data/orders.csv, on_error: quarantine } }',
      'standardize: [{ type: filter, input: orders, where: "amount > 0", output: paid }]',
      'sinks:',
      '  bad: { type: file, input: orders_rejects, path: out/bad.csv }',
      '  good: { type: file, input: paid, path: out/good.csv }',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'connections.yaml'), '{}\n');
    const g = pipelineGraph(await loadPipeline(file, { connectionsFile: join(dir, 'connections.yaml') }));
    assert.deepEqual(g.nodes.map((n) => n.id), ['source:orders', 'dataset:orders_rejects@ingest', 'step:standardize:0', 'dataset:paid@standardize', 'sink:bad', 'sink:good']);
    assert.deepEqual(g.edges.map((e) => `${e.from} -> ${e.to}`), [
      'source:orders -> dataset:orders_rejects@ingest', 'source:orders -> step:standardize:0', 'step:standardize:0 -> dataset:paid@standardize',
      'dataset:orders_rejects@ingest -> sink:bad', 'dataset:paid@standardize -> sink:good',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
