/**
 * A layered left-to-right layout of a pipeline graph, computed here (no layout library, nothing
 * fetched): each node's layer is its longest path from a source, nodes in a layer are ordered by
 * the mean position of their neighbours (a few sweeps each way, which untangles most crossings),
 * then placed as close as they fit to their predecessors, so a chain of steps stays one straight row.
 *
 *   const layout = layoutGraph(graph);   // { width, height, nodes: { [id]: { x, y, w, h, layer } }, edges: [{ path }] }
 */
import type { VizGraph, VizEdge } from './model.js';

export const NODE_W = 164;
/** Four lines: name, kind, the run's state, and the catalog version or the gate's word. */
export const NODE_H = 72;
const GAP_X = 52;
const GAP_Y = 20;
const PAD = 24;

export type Box = { x: number; y: number; w: number; h: number; layer: number };
export type LaidEdge = VizEdge & { path: string };
export type Layout = { width: number; height: number; nodes: Record<string, Box>; edges: LaidEdge[] };

/** Layers: the longest path from a node with no inputs. The graph is built in run order, so one pass does it. */
export function layersOf(graph: VizGraph): Map<string, number> {
  const preds = predecessors(graph);
  const layer = new Map<string, number>();
  const pending = [...graph.nodes.map((n) => n.id)];
  // Run order puts every predecessor first; loop until settled in case a graph is not in order.
  for (let pass = 0; pass < graph.nodes.length && pending.length; pass++) {
    for (let i = 0; i < pending.length;) {
      const id = pending[i]!;
      const from = preds.get(id) ?? [];
      if (from.every((p) => layer.has(p))) {
        layer.set(id, from.reduce((m, p) => Math.max(m, layer.get(p)! + 1), 0));
        pending.splice(i, 1);
      } else i++;
    }
  }
  for (const id of pending) layer.set(id, 0); // a cycle (checkGraph rules them out): draw it anyway
  return layer;
}

export function layoutGraph(graph: VizGraph): Layout {
  const layer = layersOf(graph);
  const preds = predecessors(graph);
  const succs = new Map<string, string[]>();
  for (const e of graph.edges) succs.set(e.from, [...(succs.get(e.from) ?? []), e.to]);

  const count = Math.max(0, ...layer.values()) + 1;
  const rows: string[][] = Array.from({ length: count }, () => []);
  for (const n of graph.nodes) rows[layer.get(n.id)!]!.push(n.id);

  // Order within layers by the barycenter of neighbours, sweeping forward then back.
  const pos = new Map<string, number>();
  const index = () => rows.forEach((r) => r.forEach((id, i) => pos.set(id, i - (r.length - 1) / 2)));
  index();
  const sortBy = (r: string[], near: Map<string, string[]>) => {
    const key = new Map(r.map((id, i) => {
      const ns = (near.get(id) ?? []).filter((x) => pos.has(x));
      return [id, ns.length ? ns.reduce((s, x) => s + pos.get(x)!, 0) / ns.length : i - (r.length - 1) / 2] as const;
    }));
    r.sort((a, b) => key.get(a)! - key.get(b)!);
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let l = 1; l < count; l++) { sortBy(rows[l]!, preds); index(); }
    for (let l = count - 2; l >= 0; l--) { sortBy(rows[l]!, succs); index(); }
  }

  // Place: each node as near its predecessors' centre as the nodes above it allow.
  const nodes: Record<string, Box> = {};
  rows.forEach((r, l) => {
    let bottom = -Infinity;
    for (const id of r) {
      const from = (preds.get(id) ?? []).filter((p) => nodes[p]);
      const want = from.length ? from.reduce((s, p) => s + nodes[p]!.y, 0) / from.length : bottom + GAP_Y;
      const y = Math.max(Number.isFinite(want) ? want : 0, bottom + GAP_Y);
      nodes[id] = { x: PAD + l * (NODE_W + GAP_X), y, w: NODE_W, h: NODE_H, layer: l };
      bottom = y + NODE_H;
    }
  });
  const top = Math.min(0, ...Object.values(nodes).map((b) => b.y));
  for (const b of Object.values(nodes)) b.y = Math.round(b.y - top + PAD);
  const height = Math.max(0, ...Object.values(nodes).map((b) => b.y + b.h)) + PAD;
  const width = PAD * 2 + count * NODE_W + (count - 1) * GAP_X;

  const edges = graph.edges.map((e) => ({ ...e, path: edgePath(nodes[e.from]!, nodes[e.to]!) }));
  return { width, height, nodes, edges };
}

/** A curve from the right side of one box to the left side of the other. */
function edgePath(a: Box, b: Box): string {
  const x1 = a.x + a.w;
  const y1 = a.y + a.h / 2;
  const x2 = b.x;
  const y2 = b.y + b.h / 2;
  const c = Math.max(24, (x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + c},${y1} ${x2 - c},${y2} ${x2},${y2}`;
}

function predecessors(graph: VizGraph): Map<string, string[]> {
  const preds = new Map<string, string[]>();
  for (const e of graph.edges) preds.set(e.to, [...(preds.get(e.to) ?? []), e.from]);
  return preds;
}
