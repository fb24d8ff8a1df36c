/**
 * Table-driven tests of `loadPipeline`: a list of valid pipelines that must load, and a list of
 * invalid ones with the exact issues (line, column, key path, message) each must report.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline, loadConnections, findConnectionsFile, formatIssue, formatPath, SpecError, type LoadedPipeline, type LoadOptions, type SpecIssue } from '../../../src/pipeline/load.js';
import { ConfigError, FerryError } from '../../../src/errors.js';

const CONNECTIONS = `# test connections
api:
  type: http
  base_url: http://127.0.0.1:8787
  auth:
    type: bearer
    token: \${env:DEMO_API_TOKEN}
warehouse:
  type: postgres
  database: demo
  password: \${env:PGPASSWORD:-}
lake:
  type: s3
`;

let dir: string;
let connectionsFile: string;
let counter = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-load-test-'));
  connectionsFile = join(dir, 'connections.yaml');
  await writeFile(connectionsFile, CONNECTIONS);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePipeline(yaml: string): Promise<string> {
  const file = join(dir, `pipeline-${++counter}.yaml`);
  await writeFile(file, yaml);
  return file;
}

async function load(yaml: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  return loadPipeline(await writePipeline(yaml), { connectionsFile, ...options });
}

/** Loads a pipeline that must fail and returns its file name and issues. */
async function issuesOf(yaml: string, options: LoadOptions = {}): Promise<{ file: string; issues: SpecIssue[]; err: SpecError }> {
  const file = await writePipeline(yaml);
  try {
    await loadPipeline(file, { connectionsFile, ...options });
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    return { file, issues: err.issues, err };
  }
  assert.fail('the pipeline loaded but should have failed');
}

type ValidCase = { name: string; yaml: string; options?: LoadOptions; check: (loaded: LoadedPipeline) => void };

const VALID: ValidCase[] = [
  {
    name: 'minimal file source gets every default',
    yaml: 'name: minimal\nsources:\n  sales:\n    type: file\n    path: data/sales.csv\n',
    check: ({ spec, connections, params }) => {
      assert.deepEqual(spec, {
        name: 'minimal',
        params: {},
        sources: { sales: { type: 'file', path: 'data/sales.csv', on_error: 'fail' } },
        standardize: [],
        preprocess: [],
        sinks: {},
        settings: {
          retry: { initial_interval: '1s', backoff: 2, maximum_interval: '1m', maximum_attempts: 30 },
          heartbeat_timeout: '20s',
          stall_timeout: '5m',
          activity_timeout: '2h',
        },
      });
      assert.deepEqual(connections, {});
      assert.deepEqual(params, {});
    },
  },
  {
    name: 'steps chain, a step output and a rejects dataset feed sinks',
    yaml: `name: chain
description: steps and sinks
sources:
  sales:
    type: file
    path: sales.csv
    columns: { amount: DOUBLE }
  products:
    type: file
    path: products.parquet
standardize:
  - { type: join, left: sales, right: products, on: [product_id], how: left, output: enriched }
  - { type: dates, input: enriched, columns: [sale_date] }
preprocess:
  - { type: outliers, input: enriched, column: amount, rejects: odd }
  - type: sql
    inputs: [enriched]
    output: totals
    query: SELECT sum(amount) AS total FROM enriched
sinks:
  out:
    type: file
    input: totals
    path: out/totals.csv
  odd:
    type: file
    input: odd
    path: out/odd.csv
settings:
  heartbeat_timeout: 30s
  retry: { maximum_attempts: 3 }
`,
    check: ({ spec }) => {
      assert.equal(spec.description, 'steps and sinks');
      assert.deepEqual(spec.standardize[0], { type: 'join', left: 'sales', right: 'products', on: ['product_id'], how: 'left', unique_right: false, output: 'enriched' });
      assert.deepEqual(spec.standardize[1], {
        type: 'dates', input: 'enriched', columns: ['sale_date'],
        formats: ['%Y-%m-%d', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S'], to: 'date', on_error: 'fail',
      });
      assert.deepEqual(spec.preprocess[0], { type: 'outliers', input: 'enriched', column: 'amount', method: 'iqr', action: 'drop', rejects: 'odd' });
      assert.deepEqual(spec.sinks, {
        out: { type: 'file', input: 'totals', path: 'out/totals.csv' },
        odd: { type: 'file', input: 'odd', path: 'out/odd.csv' },
      });
      assert.deepEqual(spec.settings, {
        retry: { initial_interval: '1s', backoff: 2, maximum_interval: '1m', maximum_attempts: 3 },
        heartbeat_timeout: '30s',
        stall_timeout: '5m',
        activity_timeout: '2h',
      });
    },
  },
  {
    name: 'http source and postgres upsert sink: only the used connections are returned',
    yaml: `name: api-to-db
sources:
  customers:
    type: http
    connection: api
    path: /customers
    records: data
    paginate: { type: page_number, size_param: per_page, size: 4, total_pages_path: total_pages }
sinks:
  db:
    type: postgres
    connection: warehouse
    input: customers
    table: crm.customers
    mode: upsert
    keys: [id]
`,
    check: ({ spec, connections }) => {
      assert.deepEqual(spec.sources.customers, {
        type: 'http', connection: 'api', path: '/customers', query: {}, records: 'data',
        paginate: { type: 'page_number', param: 'page', start: 1, size_param: 'per_page', size: 4, total_pages_path: 'total_pages', stop_on_empty_page: true, stop_on_short_page: false },
        max_pages: 10_000,
      });
      assert.deepEqual(spec.sinks.db, { type: 'postgres', connection: 'warehouse', input: 'customers', table: 'crm.customers', mode: 'upsert', keys: ['id'], schema: 'evolve', create_table: true });
      assert.deepEqual(Object.keys(connections).sort(), ['api', 'warehouse']);
      assert.deepEqual(connections.warehouse, { type: 'postgres', host: '127.0.0.1', port: 5432, database: 'demo', user: 'postgres', password: '${env:PGPASSWORD:-}', ssl: false });
    },
  },
  {
    name: '${param:…} resolved from params: defaults',
    yaml: "name: daily\nparams:\n  day: '2024-01-05'\n  shard: 3\nsources:\n  sales:\n    type: file\n    path: data/${param:day}/part-${param:shard}.csv\n",
    check: ({ spec, params }) => {
      assert.deepEqual(spec.sources.sales, { type: 'file', path: 'data/2024-01-05/part-3.csv', on_error: 'fail' });
      assert.deepEqual(params, { day: '2024-01-05', shard: '3' });
      assert.deepEqual(spec.params, { day: '2024-01-05', shard: 3 });
    },
  },
  {
    name: '${param:…} from options.params overrides the declared default',
    yaml: "name: daily\nparams:\n  day: '2024-01-05'\nsources:\n  sales:\n    type: file\n    path: data/${param:day}.csv\nstandardize:\n  - { type: filter, input: sales, where: \"day = '${param:day}'\" }\n",
    options: { params: { day: '2025-02-28', extra: 'x' } },
    check: ({ spec, params }) => {
      assert.deepEqual(spec.sources.sales, { type: 'file', path: 'data/2025-02-28.csv', on_error: 'fail' });
      assert.deepEqual(spec.standardize, [{ type: 'filter', input: 'sales', where: "day = '2025-02-28'" }]);
      assert.deepEqual(params, { day: '2025-02-28', extra: 'x' });
    },
  },
  {
    name: '${param:x:-default} uses the inline default when x is not given',
    yaml: 'name: daily\nsources:\n  sales:\n    type: file\n    path: data/${param:day:-latest}.csv\n',
    check: ({ spec }) => assert.deepEqual(spec.sources.sales, { type: 'file', path: 'data/latest.csv', on_error: 'fail' }),
  },
  {
    name: '${param:…} in number and boolean fields becomes a number and a boolean',
    yaml: `name: sized\nparams:\n  size: 100\n  pages: 50\nsources:\n  c:\n    type: http\n    connection: api\n    max_pages: \${param:pages}\nsinks:\n  api:\n    type: http\n    connection: api\n    input: c\n    batch_size: \${param:size}\n  db:\n    type: postgres\n    connection: warehouse\n    input: c\n    table: t\n    create_table: \${param:create:-false}\n`,
    options: { params: { size: '250' } },
    check: ({ spec, params }) => {
      const c = spec.sources.c!;
      assert.equal(c.type === 'http' && c.max_pages, 50);
      const api = spec.sinks.api!;
      assert.equal(api.type === 'http' && api.batch_size, 250);
      const db = spec.sinks.db!;
      assert.equal(db.type === 'postgres' && db.create_table, false);
      assert.deepEqual(params, { size: '250', pages: '50' });
    },
  },
];

type InvalidCase = { name: string; yaml: string; options?: LoadOptions; issues: Omit<SpecIssue, 'file'>[] };

const FILE_SOURCE = 'name: p\nsources:\n  a:\n    type: file\n    path: a.csv\n';

const INVALID: InvalidCase[] = [
  {
    name: 'unknown source type lists the valid types and the bad value',
    yaml: 'name: p\nsources:\n  a:\n    type: ftp\n    path: x\n',
    issues: [{ line: 4, column: 11, path: 'sources.a.type', message: 'expected one of: file, http, postgres, s3, catalog (got "ftp")' }],
  },
  {
    name: 'unknown step type lists the valid types',
    yaml: `${FILE_SOURCE}standardize:\n  - { type: pivot, input: a }\n`,
    issues: [{
      line: 7, column: 13, path: 'standardize[0].type',
      message: 'expected one of: select, rename, cast, derive, filter, map_values, join, union, dates, fill, dedupe, outliers, sql, pii (got "pivot")',
    }],
  },
  {
    name: 'unknown key (typo), located at its value',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n    path: a.csv\n    colums: { x: INTEGER }\n',
    issues: [{ line: 6, column: 13, path: 'sources.a.colums', message: "unknown key 'colums'" }],
  },
  {
    name: 'a step output that is a path (it would be staged outside the store) is not a name',
    yaml: `${FILE_SOURCE}preprocess:\n  - { type: sql, output: ../../x, inputs: [a], query: SELECT 1 }\n  - { type: derive, input: a, output: a/b, columns: { y: '1' } }\n`,
    issues: [
      { line: 7, column: 26, path: 'preprocess[0].output', message: 'expected a name of letters, digits and _ (not starting with a digit) (got "../../x")' },
      { line: 8, column: 39, path: 'preprocess[1].output', message: 'expected a name of letters, digits and _ (not starting with a digit) (got "a/b")' },
    ],
  },
  {
    name: 'missing required field points at its parent',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n',
    issues: [{ line: 4, column: 5, path: 'sources.a.path', message: 'required: expected string' }],
  },
  {
    name: 'missing name points at the document',
    yaml: 'sources:\n  a:\n    type: file\n    path: a.csv\n',
    issues: [{ line: 1, column: 1, path: 'name', message: 'required: expected string' }],
  },
  {
    name: 'wrong type of value shows the value',
    yaml: `${FILE_SOURCE}settings:\n  retry:\n    backoff: fast\n`,
    issues: [{ line: 8, column: 14, path: 'settings.retry.backoff', message: 'expected number, got "fast"' }],
  },
  {
    name: 'bad duration',
    yaml: `${FILE_SOURCE}settings:\n  heartbeat_timeout: 30 secs\n`,
    issues: [{ line: 7, column: 22, path: 'settings.heartbeat_timeout', message: 'expected a duration such as 500ms, 30s, 5m or 2h (got "30 secs")' }],
  },
  {
    name: 'a pipeline without sources',
    yaml: 'name: p\nsources: {}\n',
    issues: [{ line: 2, column: 10, path: 'sources', message: 'a pipeline needs at least one source' }],
  },
  {
    name: 'bad enum value lists the valid values and the bad value',
    yaml: `${FILE_SOURCE}standardize:\n  - { type: join, left: a, right: a, on: [id], how: outer }\n`,
    issues: [{ line: 7, column: 53, path: 'standardize[0].how', message: 'expected one of: inner, left, right, full (got "outer")' }],
  },
  {
    name: 'bad sink mode lists the valid values',
    yaml: `${FILE_SOURCE}sinks:\n  db:\n    type: postgres\n    connection: warehouse\n    input: a\n    table: t\n    mode: overwrite\n`,
    issues: [{ line: 12, column: 11, path: 'sinks.db.mode', message: 'expected one of: append, upsert, replace, merge (got "overwrite")' }],
  },
  {
    name: 'join on of the wrong shape',
    yaml: `${FILE_SOURCE}standardize:\n  - { type: join, left: a, right: a, on: 5 }\n`,
    issues: [{ line: 7, column: 42, path: 'standardize[0].on', message: 'expected a list of columns or a mapping of left: right columns' }],
  },
  {
    name: 'incremental initial of the wrong shape names its own types, not a join\'s',
    yaml: 'name: p\nsources:\n  a:\n    type: postgres\n    connection: warehouse\n    query: SELECT 1\n    incremental: { cursor: x, initial: [1] }\n',
    issues: [{ line: 7, column: 40, path: 'sources.a.incremental.initial', message: 'expected string or number (got [1])' }],
  },
  {
    name: 'upsert sink without keys',
    yaml: `${FILE_SOURCE}sinks:\n  db:\n    type: postgres\n    connection: warehouse\n    input: a\n    table: public.a\n    mode: upsert\n`,
    issues: [{ line: 8, column: 5, path: 'sinks.db.keys', message: 'mode upsert needs keys: [column, …]' }],
  },
  {
    name: 'several problems are all reported, in document order',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n    pth: a.csv\nsettings:\n  activity_timeout: later\n',
    issues: [
      { line: 4, column: 5, path: 'sources.a.path', message: 'required: expected string' },
      { line: 5, column: 10, path: 'sources.a.pth', message: "unknown key 'pth'" },
      { line: 7, column: 21, path: 'settings.activity_timeout', message: 'expected a duration such as 500ms, 30s, 5m or 2h (got "later")' },
    ],
  },
  {
    name: 'a step reading a dataset that does not exist lists the known datasets',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n    path: a.csv\n  b:\n    type: file\n    path: b.csv\nstandardize:\n  - { type: select, input: nope, columns: [x] }\n',
    issues: [{ line: 10, column: 5, path: 'standardize[0]', message: "select reads dataset 'nope', which does not exist at this point; known: a, b" }],
  },
  {
    name: 'a step reading a dataset created only by a later step',
    yaml: `${FILE_SOURCE}standardize:\n  - { type: union, inputs: [a, later], output: u }\n  - { type: select, input: a, output: later, columns: [x] }\n`,
    issues: [{ line: 7, column: 5, path: 'standardize[0]', message: "union reads dataset 'later', which does not exist at this point; known: a" }],
  },
  {
    name: 'sink input unknown lists the known datasets, step outputs included',
    yaml: `${FILE_SOURCE}preprocess:\n  - { type: select, input: a, output: slim, columns: [x] }\nsinks:\n  out:\n    type: file\n    input: ghost\n    path: out.csv\n`,
    issues: [{ line: 11, column: 12, path: 'sinks.out.input', message: "unknown dataset 'ghost'; known: a, slim" }],
  },
  {
    name: 'unknown connection lists the defined ones',
    yaml: 'name: p\nsources:\n  a:\n    type: http\n    connection: nope\n',
    issues: [{ line: 5, column: 17, path: 'sources.a.connection', message: "unknown connection 'nope'; defined: api, warehouse, lake" }],
  },
  {
    name: 'connection of the wrong kind (source)',
    yaml: 'name: p\nsources:\n  a:\n    type: http\n    connection: warehouse\n',
    issues: [{ line: 5, column: 17, path: 'sources.a.connection', message: "connection 'warehouse' is of type postgres, this adapter needs http" }],
  },
  {
    name: 'connection of the wrong kind (sink)',
    yaml: `${FILE_SOURCE}sinks:\n  out:\n    type: s3\n    connection: api\n    input: a\n    bucket: b\n    key: k.csv\n`,
    issues: [{ line: 9, column: 17, path: 'sinks.out.connection', message: "connection 'api' is of type http, this adapter needs s3" }],
  },
  {
    name: 'YAML syntax error: misindented key',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n   path: x\n',
    issues: [{ line: 5, column: 1, path: '', message: 'YAML: All mapping items must start at the same column' }],
  },
  {
    name: 'YAML syntax error: unclosed flow sequence',
    yaml: 'name: p\nsources: [a, \n',
    issues: [{ line: 3, column: 1, path: '', message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' }],
  },
  {
    name: 'YAML duplicate key',
    yaml: `name: p\n${FILE_SOURCE}`,
    issues: [{ line: 2, column: 1, path: '', message: 'YAML: Map keys must be unique' }],
  },
  {
    name: 'missing param',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n    path: data/${param:day}.csv\n',
    issues: [{ line: 5, column: 11, path: 'sources.a.path', message: 'parameter day has no value: pass --param day=… or declare a default under params:' }],
  },
  {
    name: 'one pass: a missing param does not hide schema, dataset and connection problems',
    yaml: 'name: p\nsources:\n  a:\n    type: file\n    path: data/${param:day}.csv\n  b:\n    type: ftp\nstandardize:\n  - { type: select, input: nope, columns: [x] }\nsinks:\n  out:\n    type: s3\n    connection: nowhere\n    input: a\n    bucket: b\n    key: k.csv\n',
    issues: [
      { line: 5, column: 11, path: 'sources.a.path', message: 'parameter day has no value: pass --param day=… or declare a default under params:' },
      { line: 7, column: 11, path: 'sources.b.type', message: 'expected one of: file, http, postgres, s3, catalog (got "ftp")' },
      { line: 9, column: 5, path: 'standardize[0]', message: "select reads dataset 'nope', which does not exist at this point; known: a, b" },
      { line: 13, column: 17, path: 'sinks.out.connection', message: "unknown connection 'nowhere'; defined: api, warehouse, lake" },
    ],
  },
  {
    name: 'after a step zod rejects, later reads are not reported as missing (its outputs are unknown)',
    yaml: `${FILE_SOURCE}standardize:\n  - { type: select, input: a, output: b }\n  - { type: rename, input: b, columns: { x: y } }\nsinks:\n  out:\n    type: s3\n    connection: api\n    input: b\n    bucket: b\n    key: k.csv\n`,
    issues: [
      { line: 7, column: 5, path: 'standardize[0].columns', message: 'required: expected array' },
      { line: 12, column: 17, path: 'sinks.out.connection', message: "connection 'api' is of type http, this adapter needs s3" },
    ],
  },
  {
    name: 'a step zod rejects still writes what its fields name: later unknown datasets are reported',
    yaml: `${FILE_SOURCE}preprocess:\n  - { type: derive, input: a, columns: { x: '1; DROP TABLE a' } }\n  - { type: filter, input: ghost, where: 'x > 1' }\nsinks:\n  out: { type: file, input: nowhere, path: o.csv }\n`,
    issues: [
      { line: 7, column: 45, path: 'preprocess[0].columns.x', message: "an expression must be one SQL statement: a ';' followed by more SQL is not allowed" },
      { line: 8, column: 5, path: 'preprocess[1]', message: "filter reads dataset 'ghost', which does not exist at this point; known: a" },
      { line: 10, column: 29, path: 'sinks.out.input', message: "unknown dataset 'nowhere'; known: a, ghost" },
    ],
  },
  {
    name: '${param:…} in a number field that is not a number',
    yaml: `${FILE_SOURCE}sinks:\n  api:\n    type: http\n    connection: api\n    input: a\n    batch_size: \${param:size}\n`,
    options: { params: { size: 'lots' } },
    issues: [{ line: 11, column: 17, path: 'sinks.api.batch_size', message: 'expected a number, got "lots" from ${param:size}' }],
  },
  {
    name: '${param:…} that converts but breaks a rule names the value and its parameter, not the reference text',
    yaml: `${FILE_SOURCE}sinks:\n  api:\n    type: http\n    connection: api\n    input: a\n    batch_size: \${param:size}\n  api2:\n    type: http\n    connection: api\n    input: a\n    batch_size: \${param:half}\n`,
    options: { params: { size: '0', half: '2.5' } },
    issues: [
      { line: 11, column: 17, path: 'sinks.api.batch_size', message: 'Too small: expected number to be >0 (got 0 from ${param:size})' },
      { line: 16, column: 17, path: 'sinks.api2.batch_size', message: 'expected int, got 2.5 from ${param:half}' },
    ],
  },
  {
    name: 'an unquoted ${…} inside a { } mapping is one problem that says to quote it',
    yaml: `${FILE_SOURCE}sinks:\n  api: { type: http, connection: api, input: a, batch_size: \${param:size} }\n`,
    options: { params: { size: '5' } },
    issues: [{ line: 7, column: 62, path: '', message: "YAML: Unexpected flow-map-start at node end (inside { }, quote a ${…} reference: key: '${param:NAME}')" }],
  },
  {
    name: '${param:…} without a value in a number field is reported once',
    yaml: `${FILE_SOURCE}sinks:\n  api:\n    type: http\n    connection: api\n    input: a\n    batch_size: \${param:size}\n`,
    issues: [{ line: 11, column: 17, path: 'sinks.api.batch_size', message: 'parameter size has no value: pass --param size=… or declare a default under params:' }],
  },
  {
    name: '${param:…} in a boolean field that is not true or false',
    yaml: `${FILE_SOURCE}sinks:\n  db:\n    type: postgres\n    connection: warehouse\n    input: a\n    table: t\n    create_table: \${param:create:-maybe}\n`,
    issues: [{ line: 12, column: 19, path: 'sinks.db.create_table', message: 'expected true or false, got "maybe" from ${param:create:-maybe}' }],
  },
  {
    name: 'a number field that mixes a param with text is still a type error',
    yaml: `${FILE_SOURCE}sinks:\n  api:\n    type: http\n    connection: api\n    input: a\n    batch_size: \${param:size}0\n`,
    options: { params: { size: '5' } },
    issues: [{ line: 11, column: 17, path: 'sinks.api.batch_size', message: 'expected number, got "${param:size}0"' }],
  },
  {
    name: '${env:…} in a pipeline field is rejected: secrets belong in connections.yaml',
    yaml: 'name: p\nsources:\n  a:\n    type: http\n    connection: api\n    path: /customers\n    query: { api_key: "${env:API_KEY}", region: eu }\n',
    issues: [{ line: 7, column: 23, path: 'sources.a.query.api_key', message: '${env:API_KEY} is not allowed here: secrets belong in connections.yaml as ${env:…}, used through a named connection (in a pipeline file only the pii step\'s keys take one)' }],
  },
];

describe('loadPipeline: valid pipelines', () => {
  for (const c of VALID) {
    it(c.name, async () => {
      const loaded = await load(c.yaml, c.options);
      c.check(loaded);
    });
  }
});

describe('loadPipeline: invalid pipelines report exact issues', () => {
  for (const c of INVALID) {
    it(c.name, async () => {
      const { file, issues, err } = await issuesOf(c.yaml, c.options);
      assert.deepEqual(issues, c.issues.map((i) => ({ file, ...i })));
      assert.equal(err.code, 'CONFIG');
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${issues.length} problem${issues.length === 1 ? '' : 's'} in the pipeline config:\n${issues.map(formatIssue).join('\n')}`);
    });
  }
});

describe('loadPipeline: messages and files', () => {
  it('SpecError.message lists every issue with file:line:column', async () => {
    const { file, err } = await issuesOf('name: p\nsources:\n  a:\n    type: ftp\n  b:\n    type: file\n');
    assert.equal(
      err.message,
      '2 problems in the pipeline config:\n' +
        `  ${file}:4:11  sources.a.type: expected one of: file, http, postgres, s3, catalog (got "ftp")\n` +
        `  ${file}:6:5  sources.b.path: required: expected string`,
    );
  });

  it('a missing pipeline file is one issue without a line', async () => {
    const missing = join(dir, 'does-not-exist.yaml');
    await assert.rejects(loadPipeline(missing, { connectionsFile }), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.deepEqual(err.issues, [{ file: missing, path: '', message: 'file not found or not readable' }]);
      assert.equal(err.message, `1 problem in the pipeline config:\n  ${missing}  file not found or not readable`);
      return true;
    });
  });

  it('a document that is a scalar', async () => {
    const { file, issues } = await issuesOf('just a string\n');
    assert.deepEqual(issues, [{ file, path: '', message: 'expected a mapping with name, sources, sinks' }]);
  });

  it('a document that is a list', async () => {
    const { file, issues } = await issuesOf('- just\n- a list\n');
    assert.deepEqual(issues, [{ file, line: 1, column: 1, path: '', message: 'expected object, got ["just","a list"]' }]);
  });

  it('an empty document', async () => {
    const { file, issues } = await issuesOf('# nothing here\n');
    assert.deepEqual(issues, [{ file, path: '', message: 'expected a mapping with name, sources, sinks' }]);
  });

  it('relative paths inside the working directory are shown relative', async () => {
    const loaded = await loadPipeline('config/pipelines/retail.yaml', { connectionsFile: 'config/connections.yaml' });
    assert.equal(loaded.file, 'config/pipelines/retail.yaml');
  });

  it('a missing param inside a step is located at its line and column', async () => {
    const { issues } = await issuesOf(`${FILE_SOURCE}standardize:\n  - type: filter\n    input: a\n    where: d = '\${param:day}'\n`);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.line, 9);
    assert.equal(issues[0]!.column, 12);
    assert.equal(issues[0]!.message, 'parameter day has no value: pass --param day=… or declare a default under params:');
  });

  it('a missing param inside a step has the same path format as other issues (standardize[0].where)', async () => {
    const { issues } = await issuesOf(`${FILE_SOURCE}standardize:\n  - type: filter\n    input: a\n    where: d = '\${param:day}'\n`);
    assert.equal(issues[0]!.path, 'standardize[0].where');
  });
});

describe('loadPipeline: checks promised but missing', () => {
  it('a dataset name that is not an identifier says what a name must be', async () => {
    const { file, issues } = await issuesOf('name: p\nsources:\n  1bad:\n    type: file\n    path: x\n');
    assert.deepEqual(issues, [{ file, line: 4, column: 5, path: 'sources.1bad', message: 'expected a name of letters, digits and _ (not starting with a digit)' }]);
  });

  it('a step output that overwrites another source is an issue', async () => {
    const { issues } = await issuesOf('name: p\nsources:\n  a:\n    type: file\n    path: a.csv\n  b:\n    type: file\n    path: b.csv\nstandardize:\n  - { type: select, input: a, output: b, columns: [x] }\n');
    assert.deepEqual(issues.map((i) => i.path), ['standardize[0]']);
  });
});

describe('loadPipeline: connections', () => {
  it('does not resolve ${env:…}: the loaded connection keeps the literal reference', async () => {
    const saved = process.env.DEMO_API_TOKEN;
    process.env.DEMO_API_TOKEN = 'tok-should-not-appear';
    try {
      const loaded = await load('name: p\nsources:\n  a:\n    type: http\n    connection: api\n');
      assert.deepEqual(loaded.connections, {
        api: { type: 'http', base_url: 'http://127.0.0.1:8787', headers: {}, auth: { type: 'bearer', token: '${env:DEMO_API_TOKEN}' }, timeout: '30s' },
      });
      assert.ok(!JSON.stringify(loaded).includes('tok-should-not-appear'));
    } finally {
      if (saved === undefined) delete process.env.DEMO_API_TOKEN;
      else process.env.DEMO_API_TOKEN = saved;
    }
  });

  it('returns only the connections the pipeline uses', async () => {
    const loaded = await load(`${FILE_SOURCE}sinks:\n  out:\n    type: s3\n    connection: lake\n    input: a\n    bucket: b\n    key: k.csv\n`);
    assert.deepEqual(loaded.connections, { lake: { type: 's3' } });
  });

  it('a pipeline with file adapters only gets no connections', async () => {
    const loaded = await load(FILE_SOURCE);
    assert.deepEqual(loaded.connections, {});
  });

  it('finds connections.yaml beside the pipelines folder when no file is given', async () => {
    const root = join(dir, 'project');
    await mkdir(join(root, 'pipelines'), { recursive: true });
    await writeFile(join(root, 'connections.yaml'), 'db:\n  type: postgres\n  database: found\n');
    const file = join(root, 'pipelines', 'p.yaml');
    await writeFile(file, 'name: p\nsources:\n  a:\n    type: postgres\n    connection: db\n    query: SELECT 1\n');
    const saved = process.env.FERRY_CONNECTIONS;
    delete process.env.FERRY_CONNECTIONS;
    try {
      assert.equal(findConnectionsFile(file), join(root, 'pipelines', '..', 'connections.yaml'));
      const loaded = await loadPipeline(file);
      assert.deepEqual(loaded.connections, { db: { type: 'postgres', host: '127.0.0.1', port: 5432, database: 'found', user: 'postgres', ssl: false } });
    } finally {
      if (saved !== undefined) process.env.FERRY_CONNECTIONS = saved;
    }
  });

  it('loadConnections reports a bad connections file with line and path', async () => {
    const file = join(dir, 'bad-connections.yaml');
    await writeFile(file, 'db:\n  type: postgres\n  database: d\n  prot: 5433\nweb:\n  type: ftp\n');
    await assert.rejects(loadConnections(file), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.deepEqual(err.issues, [
        { file, line: 4, column: 9, path: 'db.prot', message: "unknown key 'prot'" },
        { file, line: 6, column: 9, path: 'web.type', message: 'expected one of: postgres, s3, http (got "ftp")' },
      ]);
      return true;
    });
  });
});

describe('loadPipeline: connection file problems in the same pass', () => {
  it('a bad connections file and a bad pipeline are reported together, pipeline first', async () => {
    const conns = join(dir, 'bad-conns-one-pass.yaml');
    await writeFile(conns, 'api:\n  type: http\n  base_url: http://x\n  timout: 5s\n');
    const file = await writePipeline('name: p\nsources:\n  a:\n    type: http\n    connection: api\n    max_pages: many\n');
    await assert.rejects(loadPipeline(file, { connectionsFile: conns }), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.deepEqual(err.issues, [
        { file, line: 6, column: 16, path: 'sources.a.max_pages', message: 'expected number, got "many"' },
        { file: conns, line: 4, column: 11, path: 'api.timout', message: "unknown key 'timout'" },
      ]);
      return true;
    });
  });

  it('a connections file that is not YAML is reported, and connections are not called unknown', async () => {
    const conns = join(dir, 'unparseable-conns.yaml');
    await writeFile(conns, 'api:\n  type: http\n  auth: { type: bearer, token: ${env:TOKEN} }\n');
    const file = await writePipeline('name: p\nsources:\n  a:\n    type: http\n    connection: api\n');
    await assert.rejects(loadPipeline(file, { connectionsFile: conns }), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      assert.ok(err.issues.length >= 1 && err.issues.every((i) => i.file === conns && i.message.startsWith('YAML: ')), JSON.stringify(err.issues));
      return true;
    });
  });
});

describe('config/pipelines/retail.yaml', () => {
  it('loads with config/connections.yaml: 5 sources, 3 sinks, 3 connections', async () => {
    const loaded = await loadPipeline('config/pipelines/retail.yaml', { connectionsFile: 'config/connections.yaml' });
    assert.equal(loaded.spec.name, 'retail');
    assert.deepEqual(Object.keys(loaded.spec.sources), ['sales', 'products', 'transactions', 'customers', 'rates']);
    assert.deepEqual(Object.keys(loaded.spec.sinks), ['warehouse', 'lake', 'api']);
    assert.equal(loaded.spec.standardize.length, 7);
    assert.equal(loaded.spec.preprocess.length, 6);
    assert.deepEqual(Object.keys(loaded.connections).sort(), ['demo_api', 'lake', 'warehouse']);
    assert.equal(loaded.spec.settings.heartbeat_timeout, '20s');
    const api = loaded.connections.demo_api;
    assert.ok(api && api.type === 'http');
    assert.deepEqual(api.auth, { type: 'bearer', token: '${env:DEMO_API_TOKEN}' });
    assert.equal(api.base_url, '${env:DEMO_API_URL:-http://127.0.0.1:8787}');
  });
});

describe('formatIssue and formatPath', () => {
  const CASES: [SpecIssue, string][] = [
    [{ file: 'p.yaml', line: 3, column: 7, path: 'sources.a', message: 'bad' }, '  p.yaml:3:7  sources.a: bad'],
    [{ file: 'p.yaml', line: 3, path: 'sources.a', message: 'bad' }, '  p.yaml:3:1  sources.a: bad'],
    [{ file: 'p.yaml', path: 'sources.a', message: 'bad' }, '  p.yaml  sources.a: bad'],
    [{ file: 'p.yaml', line: 2, column: 1, path: '', message: 'YAML: oops' }, '  p.yaml:2:1  YAML: oops'],
  ];
  for (const [issue, text] of CASES) {
    it(`formats ${JSON.stringify(issue)}`, () => assert.equal(formatIssue(issue), text));
  }

  it('formatPath writes indexes in brackets', () => {
    assert.equal(formatPath(['standardize', 0, 'on']), 'standardize[0].on');
    assert.equal(formatPath(['sources', 'a', 'type']), 'sources.a.type');
    assert.equal(formatPath([]), '');
  });

  it('SpecError is a FerryError with code CONFIG', () => {
    const err = new SpecError([{ file: 'f.yaml', path: 'x', message: 'm' }]);
    assert.ok(err instanceof FerryError);
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.retryable, false);
    assert.equal(err.message, '1 problem in the pipeline config:\n  f.yaml  x: m');
  });
});
