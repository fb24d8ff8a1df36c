/** `ferry viz` and `ferry serve` in-process without Temporal: the page is written, the errors are one line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ferry } from '../cli/support.js';
import { TransientError } from '../../../src/errors.js';
import { settings } from '../../../src/config.js';

const unreachable = { connect: async () => { throw new TransientError(`cannot reach the Temporal server at ${settings().temporalAddress} (connect ECONNREFUSED); start one with \`ferry dev\` or set TEMPORAL_ADDRESS`); } };

test('`ferry viz` without Temporal writes the graph and says why there is no run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-viz-cmd-'));
  try {
    const out = join(dir, 'r.html');
    const res = await ferry(['viz', 'config/pipelines/retail.yaml', '--out', out], unreachable);
    assert.equal(res.code, 0, res.err);
    assert.equal(res.out, `wrote ${out}: 29 nodes, 28 edges, no run\nTemporal is not reachable at ${settings().temporalAddress} (connect ECONNREFUSED): the graph without a run.\n`);
    const html = await readFile(out, 'utf8');
    assert.equal(html.match(/<g class="node /g)?.length, 29);
    assert.ok(html.includes('<p class="notice" id="notice">Temporal is not reachable at'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('`ferry viz` on a broken pipeline lists its problems and exits 1, writing nothing', async () => {
  const res = await ferry(['viz', 'config/pipelines/missing.yaml', '--out', '/nonexistent/x.html'], unreachable);
  assert.equal(res.code, 1);
  assert.equal(res.err, '✖ 1 problem in the pipeline config:\n  config/pipelines/missing.yaml  file not found or not readable\n');
});

test('`ferry serve` on a missing folder and with a bad port: one line each', async () => {
  const missing = await ferry(['serve', '--dir', 'no/such/folder', '--port', '0'], unreachable);
  assert.deepEqual([missing.code, missing.err], [1, 'error: no pipeline folder no/such/folder\n']);
  const port = await ferry(['serve', '--port', '70000'], unreachable);
  assert.equal(port.code, 2);
  assert.equal(port.err, "error: option '--port <n>' argument '70000' is invalid. expected a port number from 0 to 65535\n");
});
