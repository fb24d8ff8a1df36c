/**
 * Run references: resolved with the logical run's values (table-driven), unknown names refused with
 * the valid ones listed, brace forms only in place fields, unsafe run ids never spliced, and
 * `ferry validate` (loadPipeline) reporting unknown names with line and path while leaving known
 * ones untouched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRunRefs, runValues, braceValues, pipelineRunRefIssues, RUN_REFS_LIST } from '../../../src/pipeline/run-refs.js';
import { loadPipeline, SpecError } from '../../../src/pipeline/load.js';
import { ConfigError } from '../../../src/errors.js';
import type { RunContext } from '../../../src/run.js';

const RUN: RunContext = { key: 'sales-2024-01-04T23:00:00Z', time: '2024-01-04T23:00:00.000Z', date: '2024-01-05', timezone: 'Europe/Berlin', trigger: 'schedule' };

describe('runValues and braceValues', () => {
  it('every name has its value', () => {
    assert.deepEqual(runValues(RUN), {
      date: '2024-01-05', date_nodash: '20240105', year: '2024', month: '01', day: '05',
      time: '2024-01-04T23:00:00Z', id: 'sales-2024-01-04T23:00:00Z', timezone: 'Europe/Berlin', trigger: 'schedule',
    });
    assert.deepEqual(braceValues(RUN), { run_date: '2024-01-05', run_time: '20240104T230000Z', run_id: 'sales-2024-01-04T23:00:00Z', date: '2024-01-05' });
  });

  it('the time is whole seconds, UTC: milliseconds of a manual run are dropped', () => {
    assert.equal(runValues({ ...RUN, time: '2024-01-05T06:07:08.923Z' }).time, '2024-01-05T06:07:08Z');
    assert.equal(braceValues({ ...RUN, time: '2024-01-05T06:07:08.923Z' }).run_time, '20240105T060708Z');
  });

  it('a malformed run context is a ConfigError', () => {
    assert.throws(() => runValues({ ...RUN, date: '5.1.2024' }), /the run's date "5\.1\.2024" is not a YYYY-MM-DD day/);
    assert.throws(() => runValues({ ...RUN, time: 'yesterday' }), /the run's time "yesterday" is not an ISO instant/);
  });
});

describe('resolveRunRefs', () => {
  const CASES: [string, unknown, unknown][] = [
    ['a query', { query: "SELECT * FROM s WHERE day = '${run.date}'" }, { query: "SELECT * FROM s WHERE day = '2024-01-05'" }],
    ['every name in one string', { x: '${run.year}/${run.month}/${run.day} ${run.date_nodash} ${run.time} ${run.trigger} ${run.timezone}' }, { x: '2024/01/05 20240105 2024-01-04T23:00:00Z schedule Europe/Berlin' }],
    ['nested objects and lists', { query: { day: '${run.date}', n: 3 }, params: ['${run.id}', 1, null, true] }, { query: { day: '2024-01-05', n: 3 }, params: ['sales-2024-01-04T23:00:00Z', 1, null, true] }],
    ['brace forms in path', { path: 'in/{run_date}/{date}.csv' }, { path: 'in/2024-01-05/2024-01-05.csv' }],
    ['brace forms in key', { key: 'out/{run_time}/{run_id}.csv' }, { key: 'out/20240104T230000Z/sales-2024-01-04T23:00:00Z.csv' }],
    ['brace forms in prefix', { prefix: 'p/{run_date}/' }, { prefix: 'p/2024-01-05/' }],
    ['{date} outside a place field is text', { query: "SELECT '{date}'" }, { query: "SELECT '{date}'" }],
    ['unknown brace names outside a place field are text', { paginate: { path: '{run_x}' } }, { paginate: { path: '{run_x}' } }],
    ['other references stay', { path: '${param:x} ${env:Y} {other}' }, { path: '${param:x} ${env:Y} {other}' }],
    ['no references: unchanged', { path: 'a.csv', n: 1 }, { path: 'a.csv', n: 1 }],
  ];
  for (const [name, input, expected] of CASES) {
    it(name, () => assert.deepEqual(resolveRunRefs(input, RUN, { what: 'source', places: true }), expected));
  }

  it('steps get no brace forms, even in a field called path', () => {
    assert.deepEqual(resolveRunRefs([{ type: 'sql', sql: "SELECT '${run.date}' AS d, '{run_date}' AS b", path: '{run_date}' }], RUN, { what: 'steps', places: false }),
      [{ type: 'sql', sql: "SELECT '2024-01-05' AS d, '{run_date}' AS b", path: '{run_date}' }]);
  });

  it('an unknown ${run.…} is a ConfigError naming it, the field and the valid names', () => {
    const err = (() => {
      try {
        resolveRunRefs({ query: { day: '${run.dat}' } }, RUN, { what: 'source', places: true, context: { dataset: 'sales' } });
      } catch (e) {
        return e as ConfigError;
      }
      assert.fail('no error');
    })();
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, `unknown run reference \${run.dat}: expected one of ${RUN_REFS_LIST}`);
    assert.equal(RUN_REFS_LIST, '${run.date}, ${run.date_nodash}, ${run.year}, ${run.month}, ${run.day}, ${run.time}, ${run.id}, ${run.timezone}, ${run.trigger}');
    assert.deepEqual(err.context, { dataset: 'sales', field: 'source.query.day' });
  });

  it('a known brace form outside a place field of a source or sink says what to write there', () => {
    assert.throws(() => resolveRunRefs({ query: { day: '{run_date}' } }, RUN, { what: 'source', places: true }),
      (e: ConfigError) => e.message === '{run_date} is resolved only in path, key, prefix; here write ${run.date}' && e.context.field === 'source.query.day');
    // {date} may be meant literally there, and steps are SQL: both left alone
    assert.deepEqual(resolveRunRefs({ query: { q: '{date}' } }, RUN, { what: 'source', places: true }), { query: { q: '{date}' } });
  });

  it('an unknown {run_…} in a place field is a ConfigError', () => {
    assert.throws(() => resolveRunRefs({ key: 'x/{run_day}.csv' }, RUN, { what: 'sink', places: true }),
      (e: ConfigError) => e.message.startsWith('unknown run reference {run_day}: expected one of {run_date}, {run_time}, {run_id}, {date}') && e.context.field === 'sink.key');
  });

  it('a run id that could close a quote is never spliced', () => {
    assert.throws(() => resolveRunRefs({ query: "WHERE id = '${run.id}'" }, { ...RUN, key: "x'; DROP TABLE t; --" }, { what: 'source', places: true }),
      /\$\{run\.id\}: the run id "x'; DROP TABLE t; --" is not spliced into a pipeline field: only letters, digits and - _ \. : \+ @ \/ are/);
    assert.throws(() => resolveRunRefs({ key: '{run_id}.csv' }, { ...RUN, key: 'a b' }, { what: 'sink', places: true }), /\{run_id\}: the run id "a b" is not spliced/);
    // ...but an unusual id does not matter to a pipeline that does not use it
    assert.deepEqual(resolveRunRefs({ path: '{run_date}.csv' }, { ...RUN, key: 'a b' }, { what: 'sink', places: true }), { path: '2024-01-05.csv' });
  });

  it('without a run (an input from an older Ferry), a reference is refused and none is fine', () => {
    assert.throws(() => resolveRunRefs({ path: '{run_date}.csv' }, undefined, { what: 'source', places: true }), /\{run_date\} cannot be resolved: this activity input carries no run/);
    assert.deepEqual(resolveRunRefs({ path: 'a.csv' }, undefined, { what: 'source', places: true }), { path: 'a.csv' });
  });
});

describe('pipelineRunRefIssues', () => {
  it('names unknown references in sources, sinks and steps, and any in other sections', () => {
    assert.deepEqual(pipelineRunRefIssues({
      name: 'p',
      description: 'for ${run.date}',
      params: { day: '${run.date}' },
      sources: { a: { type: 'file', path: '{run_dat}.csv', query: '{run_x}', params: ['{run_id}'] } },
      standardize: [{ type: 'filter', input: 'a', where: "d = '${run.daet}'", path: '{run_zz}' }],
      sinks: { s: { type: 'file', path: '${run.date}.csv' } },
    }).map((i) => [i.path.join('.'), i.message.split(':')[0]]), [
      ['description', '${run.date} is resolved only in sources, sinks and steps, not in description'],
      ['sources.a.path', 'unknown run reference {run_dat}'],
      ['sources.a.params.0', '{run_id} is resolved only in path, key, prefix; here write ${run.id}'],
      ['standardize.0.where', 'unknown run reference ${run.daet}'],
    ]);
  });
});

describe('ferry validate (loadPipeline)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-run-refs-'));
    await writeFile(join(dir, 'connections.yaml'), '{}\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const load = async (yaml: string) => {
    const file = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    return loadPipeline(file, { connectionsFile: join(dir, 'connections.yaml') });
  };

  it('keeps known references untouched in the loaded spec (a param default may carry one)', async () => {
    const loaded = await load(`name: dated
params:
  day: \${run.date}
sources:
  sales: { type: file, path: 'in/{run_date}/sales.csv' }
standardize:
  - { type: filter, input: sales, where: "day = '\${param:day}'" }
sinks:
  out: { type: file, input: sales, path: 'out/\${run.date_nodash}.csv' }
`);
    assert.equal(loaded.spec.sources.sales!.type === 'file' && loaded.spec.sources.sales!.path, 'in/{run_date}/sales.csv');
    assert.deepEqual(loaded.spec.standardize[0], { type: 'filter', input: 'sales', where: "day = '${run.date}'" });
    assert.equal(loaded.spec.sinks.out!.type === 'file' && loaded.spec.sinks.out!.path, 'out/${run.date_nodash}.csv');
  });

  it('reports every unknown reference with its line, together with other problems', async () => {
    const err = await load(`name: dated
description: loads \${run.date}
sources:
  sales:
    type: file
    path: 'in/{run_dat}/sales.csv'
standardize:
  - { type: filter, input: sales, where: "day = '\${run.datee}'" }
sinks:
  out: { type: file, input: nothing, path: out.csv }
`).then(() => assert.fail('loaded'), (e: unknown) => e);
    assert.ok(err instanceof SpecError);
    assert.deepEqual(err.issues.map((i) => [i.line, i.path, i.message]), [
      [2, 'description', '${run.date} is resolved only in sources, sinks and steps, not in description'],
      [6, 'sources.sales.path', `unknown run reference {run_dat}: expected one of {run_date}, {run_time}, {run_id}, {date} (or ${RUN_REFS_LIST})`],
      [8, 'standardize[0].where', `unknown run reference \${run.datee}: expected one of ${RUN_REFS_LIST}`],
      [10, 'sinks.out.input', "unknown dataset 'nothing'; known: sales"],
    ]);
  });
});
