/**
 * Ferry's metric definitions and recorders (src/metrics.ts) against a recording meter: what each
 * activity output and workflow event records, with exact names, values and labels; the definitions
 * follow Prometheus' conventions and carry no unbounded label; `--metrics` addresses, valid and not.
 */
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import assert from 'node:assert/strict';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { METRICS, HISTOGRAM_BUCKETS, recordAttempt, recordOutput, recordStage, recordRun, quarantineOf, parseMetricsAddress } from '../../src/metrics.js';
import { rejectsOf } from '../../src/table/formats.js';

type Recorded = { kind: string; name: string; unit?: string; help?: string; valueType?: string; value: number; tags: MetricTags };

/** A MetricMeter that remembers every value recorded on it. */
function recordingMeter(): MetricMeter & { recorded: Recorded[] } {
  const recorded: Recorded[] = [];
  const metric = (kind: string, name: string, unit?: string, help?: string, valueType?: string) => ({
    name, unit, description: help, kind, valueType: valueType ?? 'int',
    add: (value: number, tags: MetricTags = {}) => void recorded.push({ kind, name, unit, help, valueType, value, tags }),
    record: (value: number, tags: MetricTags = {}) => void recorded.push({ kind, name, unit, help, valueType, value, tags }),
    set: (value: number, tags: MetricTags = {}) => void recorded.push({ kind, name, unit, help, valueType, value, tags }),
    withTags: () => { throw new Error('not used'); },
  });
  return {
    recorded,
    createCounter: (name, unit, help) => metric('counter', name, unit, help) as never,
    createHistogram: (name, valueType, unit, help) => metric('histogram', name, unit, help, valueType) as never,
    createGauge: (name, valueType, unit, help) => metric('gauge', name, unit, help, valueType) as never,
    withTags: () => { throw new Error('not used'); },
  };
}

const values = (meter: ReturnType<typeof recordingMeter>) => meter.recorded.map(({ name, value, tags }) => [name, value, tags]);
const ref = (dataset: string, rows: number, bytes: number) => ({ dataset, stage: 'ingest', uri: `.ferry/staging/p/w/ingest/${dataset}.parquet`, rows, bytes, columns: [], sha256: 'x' });

describe('recordOutput', () => {
  it("counts an ingest's dataset and its rejects dataset, and the rejects as quarantined rows of the source", () => {
    const meter = recordingMeter();
    recordOutput(meter, { pipeline: 'retail', stage: 'ingest', dataset: 'sales' }, { ref: ref('sales', 10, 1292), detail: 'x', extra: [ref('sales_rejects', 1, 900)] });
    assert.deepEqual(values(meter), [
      ['ferry_rows_total', 10, { pipeline: 'retail', stage: 'ingest', dataset: 'sales' }],
      ['ferry_bytes_total', 1292, { pipeline: 'retail', stage: 'ingest', dataset: 'sales' }],
      ['ferry_rows_total', 1, { pipeline: 'retail', stage: 'ingest', dataset: 'sales_rejects' }],
      ['ferry_bytes_total', 900, { pipeline: 'retail', stage: 'ingest', dataset: 'sales_rejects' }],
      ['ferry_quarantined_rows_total', 1, { pipeline: 'retail', dataset: 'sales' }],
    ]);
  });

  it('counts every dataset a transform wrote, under its stage', () => {
    const meter = recordingMeter();
    recordOutput(meter, { pipeline: 'retail', stage: 'preprocess' }, { datasets: { enriched: ref('enriched', 9, 3248), abnormal_sales: ref('abnormal_sales', 1, 2406) } });
    assert.deepEqual(values(meter), [
      ['ferry_rows_total', 9, { pipeline: 'retail', stage: 'preprocess', dataset: 'enriched' }],
      ['ferry_bytes_total', 3248, { pipeline: 'retail', stage: 'preprocess', dataset: 'enriched' }],
      ['ferry_rows_total', 1, { pipeline: 'retail', stage: 'preprocess', dataset: 'abnormal_sales' }],
      ['ferry_bytes_total', 2406, { pipeline: 'retail', stage: 'preprocess', dataset: 'abnormal_sales' }],
    ]);
  });

  it('counts the rows a sink delivered, by sink and input dataset, and no bytes', () => {
    const meter = recordingMeter();
    recordOutput(meter, { pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'warehouse' }, { sink: 'warehouse', type: 'postgres', target: 'postgres retail.sales', rows: 9 });
    assert.deepEqual(values(meter), [['ferry_rows_total', 9, { pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'warehouse' }]]);
  });

  it('records nothing for outputs without rows (the verify activity) or of an unexpected shape', () => {
    const meter = recordingMeter();
    recordOutput(meter, { stage: 'verify' }, { verified: ['a'] });
    recordOutput(meter, { pipeline: 'p', stage: 'ingest' }, undefined);
    recordOutput(meter, { pipeline: 'p', stage: 'deliver' }, { rows: 'many' });
    assert.deepEqual(meter.recorded, []);
  });

  it("finds the quarantine dataset by the same rule as the CSV reader's rejectsOf", () => {
    for (const dataset of ['sales', 'a_b', 'x1']) assert.equal(quarantineOf(dataset), rejectsOf(dataset));
  });
});

describe('recordAttempt', () => {
  it('counts the attempt with its outcome and error code, and records its duration in seconds', () => {
    const meter = recordingMeter();
    recordAttempt(meter, { pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'api' }, 'retrying', 1.25, 'TRANSIENT');
    assert.deepEqual(meter.recorded, [
      { kind: 'counter', name: 'ferry_activity_attempts_total', unit: '{attempt}', help: METRICS.attempts.help, valueType: undefined, value: 1,
        tags: { pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'api', outcome: 'retrying', error_code: 'TRANSIENT' } },
      { kind: 'histogram', name: 'ferry_activity_attempt_duration_seconds', unit: 's', help: METRICS.attemptDuration.help, valueType: 'float', value: 1.25,
        tags: { pipeline: 'retail', stage: 'deliver', dataset: 'sales_final', sink: 'api', outcome: 'retrying' } },
    ]);
  });

  it('leaves out the labels it has no value for (a completed transform has no dataset, sink or error code)', () => {
    const meter = recordingMeter();
    recordAttempt(meter, { pipeline: 'retail', stage: 'standardize', dataset: '' }, 'completed', 0.5);
    assert.deepEqual(meter.recorded.map((r) => r.tags), [
      { pipeline: 'retail', stage: 'standardize', outcome: 'completed' },
      { pipeline: 'retail', stage: 'standardize', outcome: 'completed' },
    ]);
  });

  it('never records a negative duration (a clock that stepped back)', () => {
    const meter = recordingMeter();
    recordAttempt(meter, { stage: 'ingest' }, 'cancelled', -0.2);
    assert.equal(meter.recorded[1]!.value, 0);
  });
});

describe('workflow recorders', () => {
  it('record a stage duration by pipeline, stage and status, and a finished run by pipeline and status', () => {
    const meter = recordingMeter();
    recordStage(meter, 'retail', 'ingest', 'completed', 0.58);
    recordRun(meter, 'retail', 'failed');
    assert.deepEqual(values(meter), [
      ['ferry_stage_duration_seconds', 0.58, { pipeline: 'retail', stage: 'ingest', status: 'completed' }],
      ['ferry_runs_total', 1, { pipeline: 'retail', status: 'failed' }],
    ]);
    assert.equal(meter.recorded[0]!.valueType, 'float');
  });
});

describe('the definitions', () => {
  const all = Object.values(METRICS);

  it('are valid Prometheus names: counters end in _total, durations in _seconds, each name once', () => {
    assert.deepEqual(all.map((d) => d.name).sort(), [
      'ferry_activity_attempt_duration_seconds', 'ferry_activity_attempts_total', 'ferry_bytes_total', 'ferry_quarantined_rows_total',
      'ferry_rows_total', 'ferry_runs_total', 'ferry_stage_duration_seconds',
    ]);
    for (const d of all) {
      assert.match(d.name, /^ferry_[a-z_]+$/);
      assert.ok(d.name.endsWith('_total') || (d.name.endsWith('_seconds') && d.unit === 's'), d.name);
      assert.ok(d.help.length > 20, d.name);
    }
  });

  it('have bounded labels only: never a workflow id, run id, run date or time', () => {
    const labels = new Set(all.flatMap((d) => [...d.labels]));
    assert.deepEqual([...labels].sort(), ['dataset', 'error_code', 'outcome', 'pipeline', 'sink', 'stage', 'status']);
  });

  it('give every histogram increasing buckets in seconds, from under a second to hours', () => {
    assert.deepEqual(Object.keys(HISTOGRAM_BUCKETS).sort(), ['ferry_activity_attempt_duration_seconds', 'ferry_stage_duration_seconds']);
    for (const buckets of Object.values(HISTOGRAM_BUCKETS)) {
      assert.ok(buckets.every((b, i) => i === 0 || b > buckets[i - 1]!));
      assert.ok(buckets[0]! < 1 && buckets.at(-1)! >= 7200);
    }
  });
});

describe('parseMetricsAddress', () => {
  const valid: [string, string][] = [
    ['127.0.0.1:9464', '127.0.0.1:9464'],
    ['0.0.0.0:1', '0.0.0.0:1'],
    [' 10.1.2.3:65535 ', '10.1.2.3:65535'],
    ['localhost:9464', '127.0.0.1:9464'],
    ['[::1]:9464', '[::1]:9464'],
    ['[::]:9464', '[::]:9464'],
    ['[2001:db8::8a2e:370:7334]:80', '[2001:db8::8a2e:370:7334]:80'],
    ['[::ffff:192.0.2.1]:9464', '[::ffff:192.0.2.1]:9464'],
    ['[1:2:3:4:5:6:7:8]:9464', '[1:2:3:4:5:6:7:8]:9464'],
  ];
  for (const [input, expected] of valid) it(`accepts ${JSON.stringify(input)}`, () => assert.equal(parseMetricsAddress(input), expected));

  const usage = 'expected IP:PORT such as 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464 or localhost:9464';
  const invalid: [string, string][] = [
    ['9464', usage],
    [':9464', usage],
    ['127.0.0.1', usage],
    ['127.0.0.1:', usage],
    ['example.com:9464', usage],
    ['256.0.0.1:9464', usage],
    ['1.2.3:9464', usage],
    ['::1:9464', usage],
    ['[::1::2]:9464', usage],
    ['[1:2:3:4:5:6:7:8:9]:9464', usage],
    ['[12345::1]:9464', usage],
    ['127.0.0.1:0', 'expected a port from 1 to 65535'],
    ['127.0.0.1:65536', 'expected a port from 1 to 65535'],
    ['127.0.0.1:123456', usage],
  ];
  for (const [input, message] of invalid) it(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseMetricsAddress(input), { message }));
});

it('the README lists every metric Ferry defines, with its type and labels, and no other', async () => {
  const readme = await readFile('README.md', 'utf8');
  const rows = [...readme.matchAll(/^\| `(ferry_[a-z_]+)` \| (\w+) \| ([^|]*) \|/gm)].map((m) => [m[1], m[2], m[3]!.split(',').map((l) => l.trim())]);
  const defined = Object.values(METRICS).map((d) => [d.name, d.name.endsWith('_seconds') ? 'histogram' : 'counter', [...d.labels]]);
  assert.deepEqual(rows, defined);
});
