/** The layered layout: exact layers for the retail example, no overlaps, edges left to right, chains straight. */
import { loadRetailPlain } from '../../support/retail-plain.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineGraph, type VizGraph } from '../../../src/viz/model.js';
import { layoutGraph, layersOf, NODE_W, NODE_H } from '../../../src/viz/layout.js';

const retail = async () => pipelineGraph(await loadRetailPlain());

test('retail: each node sits one layer right of its furthest input', async () => {
  const layers = layersOf(await retail());
  const byLayer: string[][] = [];
  for (const [id, l] of layers) (byLayer[l] ??= []).push(id);
  assert.deepEqual(byLayer, [
    ['source:sales', 'source:products', 'source:transactions', 'source:customers', 'source:rates'],
    ['step:standardize:0', 'step:standardize:1', 'step:standardize:2'],
    ['step:standardize:3', 'dataset:sales@standardize', 'dataset:products@standardize', 'dataset:customers@standardize'],
    ['step:standardize:4'], ['step:standardize:5'], ['step:standardize:6'], ['dataset:enriched@standardize'],
    ['step:preprocess:0'], ['step:preprocess:1'], ['step:preprocess:2'], ['step:preprocess:3'],
    ['step:preprocess:4', 'dataset:abnormal_sales@preprocess'],
    ['step:preprocess:5', 'dataset:enriched@preprocess'],
    ['dataset:sales_final@preprocess'],
    ['sink:warehouse', 'sink:lake', 'sink:api'],
  ]);
});

test('retail: no two nodes overlap, every edge runs left to right, the preprocess chain is one straight row', async () => {
  const g = await retail();
  const { nodes, edges, width, height } = layoutGraph(g);
  assert.equal(Object.keys(nodes).length, 28);
  assert.equal(edges.length, 27);
  const boxes = Object.values(nodes);
  for (const a of boxes) {
    assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= width && a.y + a.h <= height, 'inside the drawing');
    for (const b of boxes) {
      if (a === b) continue;
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, `overlap at ${a.x},${a.y}`);
    }
  }
  for (const e of edges) {
    assert.ok(nodes[e.from]!.x + NODE_W < nodes[e.to]!.x, `${e.from} -> ${e.to} runs left to right`);
    assert.match(e.path, /^M[\d.]+,[\d.]+ C[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+$/);
  }
  const row = ['dataset:enriched@standardize', 'step:preprocess:0', 'step:preprocess:1', 'step:preprocess:2', 'step:preprocess:3', 'step:preprocess:4', 'step:preprocess:5', 'dataset:sales_final@preprocess'];
  assert.deepEqual(new Set(row.map((id) => nodes[id]!.y)).size, 1);
  assert.equal(width, 24 * 2 + 15 * NODE_W + 14 * 52);
});

test('a small graph: exact positions (inputs stacked, a node centred on its inputs)', () => {
  const node = (id: string) => ({ id, kind: 'dataset' as const, name: id, type: 'dataset', stage: 'ingest' as const, summary: '' });
  const g: VizGraph = { pipeline: 'p', file: 'p.yaml', nodes: [node('a'), node('b'), node('c')], edges: [{ from: 'a', to: 'c', dataset: 'a' }, { from: 'b', to: 'c', dataset: 'b' }] };
  const { nodes, width, height } = layoutGraph(g);
  assert.deepEqual(nodes.a, { x: 24, y: 24, w: NODE_W, h: NODE_H, layer: 0 });
  assert.deepEqual(nodes.b, { x: 24, y: 24 + NODE_H + 20, w: NODE_W, h: NODE_H, layer: 0 });
  assert.deepEqual(nodes.c, { x: 24 + NODE_W + 52, y: 24 + (NODE_H + 20) / 2, w: NODE_W, h: NODE_H, layer: 1 });
  assert.equal(width, 48 + 2 * NODE_W + 52);
  assert.equal(height, 24 + 2 * NODE_H + 20 + 24);
});
