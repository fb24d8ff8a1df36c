/**
 * The page is self-contained and injection-proof: every text from a pipeline or a run is escaped,
 * the data travels as inert JSON, only the page's own script may run, and nothing is loaded.
 */
import { loadRetailPlain } from '../../support/retail-plain.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../../src/pipeline/load.js';
import { pipelineGraph } from '../../../src/viz/model.js';
import { layoutGraph } from '../../../src/viz/layout.js';
import { vizPage, escapeHtml, jsonForScript, formatDuration, CSP } from '../../../src/viz/page.js';
import { SCRIPT } from '../../../src/viz/script.js';
import { runState } from '../../../src/viz/run-state.js';

export const HOSTILE_YAML = `name: hostile
description: "</script><script>window.pwned = 1</script><img src=x onerror=\\"window.pwned = 2\\">"
sources:
  things:
    type: file
    path: data/things.csv
preprocess:
  - { type: derive, input: things, columns: { label: "'</script><script>window.pwned = 3</script>'" } }
sinks:
  out:
    type: file
    input: things
    path: "out/<b>bold</b>.csv"
`;

export async function hostilePipeline() {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-viz-'));
  const file = join(dir, 'hostile.yaml');
  await writeFile(file, HOSTILE_YAML);
  await writeFile(join(dir, 'connections.yaml'), '{}\n');
  const loaded = await loadPipeline(file, { connectionsFile: join(dir, 'connections.yaml') });
  return { loaded, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('escapeHtml and jsonForScript leave nothing that closes an element or starts a tag', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  const json = jsonForScript({ a: '</script><!-- & \u2028' });
  assert.equal(json, '{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028"}');
  assert.deepEqual(JSON.parse(json), { a: '</script><!-- & \u2028' });
});

test('a pipeline and a run with markup in every text: the page holds it as text only', async () => {
  const { loaded, cleanup } = await hostilePipeline();
  try {
    const graph = pipelineGraph(loaded);
    const run = runState(graph, {
      listing: { workflowId: 'w<i>1</i>', runId: 'r', status: 'failed', startTime: new Date('2024-01-05T00:00:00Z') },
      url: 'http://127.0.0.1:8233/namespaces/default/workflows/w%3Ci%3E1',
    });
    run.error = '<img src=x onerror="window.pwned = 4">';
    const html = vizPage({ title: graph.pipeline, graph, layout: layoutGraph(graph), run, notice: '<script>window.pwned = 5</script>' });
    assert.equal(html.match(/<script/gi)?.length, 2, 'the data element and the page script, nothing else');
    assert.equal(html.match(/<\/script/gi)?.length, 2);
    assert.ok(!/<img|<b>|<i>|onerror="/i.test(html), 'no markup from the data');
    assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;window.pwned = 1&lt;/script&gt;'), 'the description, as text');
    assert.ok(html.includes('&lt;script&gt;window.pwned = 5&lt;/script&gt;'), 'the notice, as text');
    const data = /<script type="application\/json" id="ferry-data">(.*?)<\/script>/s.exec(html)![1]!;
    assert.deepEqual(JSON.parse(data), JSON.parse(JSON.stringify({ graph, run, live: null })), 'the data round-trips exactly');
  } finally {
    await cleanup();
  }
});

test('self-contained: no external resource, and a CSP that runs only the page script (by hash)', async () => {
  const graph = pipelineGraph(await loadRetailPlain());
  const html = vizPage({ title: 'retail', graph, layout: layoutGraph(graph) });
  assert.ok(!/<link|<img|<iframe|\ssrc=|@import|url\(http/i.test(html), 'nothing to fetch');
  assert.ok(!/https?:\/\/(?!127\.0\.0\.1|www\.w3\.org\/2000\/svg)/.test(html.replace(/"\$\{env:[^"]*"/g, '')), 'no URL other than the SVG namespace and the config as written');
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  assert.ok(CSP.includes(`script-src 'sha256-${hash}'`));
  assert.ok(CSP.startsWith("default-src 'none';"));
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`));
  assert.ok(html.includes(`<script>${SCRIPT}</script>`), 'the hashed script, byte for byte');
  assert.equal(html.match(/<g class="node /g)?.length, 28);
  assert.equal(html.match(/<path class="edge"/g)?.length, 27);
});

test('durations read as a person says them', () => {
  assert.deepEqual([0, 412.4, 999, 1000, 3240, 59_999, 60_000, 125_000].map(formatDuration), ['0 ms', '412 ms', '999 ms', '1.0 s', '3.2 s', '1 m 0 s', '1 m 0 s', '2 m 5 s']);
});
