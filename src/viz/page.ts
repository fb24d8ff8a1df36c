/**
 * The HTML of Ferry's pipeline view: one self-contained page (inline CSS, inline script, inline
 * SVG; nothing fetched, so it works offline from file://). The server draws the graph; the page's
 * script lays the run over it (status, rows, durations, errors), shows a node's details on click,
 * and on a live run page polls the JSON API. Every text is escaped here (HTML) or set through
 * `textContent` (script); the page's data travels as JSON in a non-executed script element, and a
 * Content-Security-Policy runs only the page's own script (by its hash).
 *
 *   writeFile('retail.html', vizPage({ title: 'retail', graph, layout: layoutGraph(graph), run }));
 */
import { createHash } from 'node:crypto';
import type { VizGraph, VizNode } from './model.js';
import type { Layout } from './layout.js';
import type { VizRun } from './run-state.js';
import type { RunListing } from '../runs.js';
import { SCRIPT } from './script.js';
import { STYLE } from './style.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and attribute values. */
export const escapeHtml = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);

/** JSON safe inside a `<script>` element: no `<`, `>`, `&` or line separators survive as such. */
export const jsonForScript = (data: unknown): string =>
  JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

/** Only the page's own script runs; nothing is loaded from anywhere (the API, same origin, when served). */
export const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'`;

export type PageInput = {
  title: string;
  graph?: VizGraph;
  layout?: Layout;
  run?: VizRun;
  /** Shown above the graph: why there is no run, what went wrong reading it. */
  notice?: string;
  /** A run list (the index and pipeline pages of `ferry serve`). */
  runs?: RunListing[];
  /** The pipelines (index page). */
  pipelines?: { name: string; file: string; description?: string; error?: string }[];
  /** The run's JSON (`/api/runs/<id>`): the page polls it every second while the run goes. */
  liveApi?: string;
  /** Links between pages (`ferry serve`); a file written by `ferry viz` has none. */
  nav?: boolean;
  generatedAt?: string;
};

export function vizPage(input: PageInput): string {
  const data = { graph: input.graph ?? null, run: input.run ?? null, live: input.liveApi ?? null };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)} · Ferry</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <div class="brand">${input.nav ? '<a href="/">Ferry</a>' : 'Ferry'}</div>
  <h1>${escapeHtml(input.title)}</h1>
  ${input.graph?.description ? `<p class="description">${escapeHtml(input.graph.description)}</p>` : ''}
  ${input.graph ? `<p class="file">${escapeHtml(input.graph.file)}</p>` : ''}
  ${input.nav && input.graph ? `<p class="crumbs"><a href="/">all pipelines</a> · <a href="/pipelines/${encodeURIComponent(input.graph.pipeline)}">${escapeHtml(input.graph.pipeline)} and its runs</a></p>` : ''}
</header>
${input.notice ? `<p class="notice" id="notice">${escapeHtml(input.notice)}</p>` : ''}
${input.pipelines ? pipelineList(input.pipelines) : ''}
${input.graph && input.layout ? `<section id="run" class="run" hidden></section>
<main class="view">
  <div class="canvas" id="canvas">
    <div class="tools"><button type="button" id="zoom-out" aria-label="zoom out">−</button><button type="button" id="fit" aria-pressed="true">fit</button><button type="button" id="zoom-in" aria-label="zoom in">+</button></div>
    ${graphSvg(input.graph, input.layout)}
  </div>
  <aside class="details" id="details"><p class="hint">Click a node for its type, config, columns, rows, duration and error.</p></aside>
</main>
${legend()}` : ''}
${input.runs ? runList(input.runs, !!input.nav) : ''}
<footer>${input.generatedAt ? `generated ${escapeHtml(input.generatedAt)} · ` : ''}Ferry</footer>
<script type="application/json" id="ferry-data">${jsonForScript(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The graph as SVG: every node and edge carries data attributes (tests count them, the script finds them). */
export function graphSvg(graph: VizGraph, layout: Layout): string {
  const edges = layout.edges.map((e) =>
    `<path class="edge" data-edge="${escapeHtml(`${e.from}->${e.to}`)}" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" d="${e.path}" marker-end="url(#arrow)"><title>${escapeHtml(e.dataset)}</title></path>`);
  const nodes = graph.nodes.map((n) => nodeSvg(n, layout));
  return `<svg class="graph" id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" role="img" aria-label="${escapeHtml(`pipeline ${graph.pipeline}: ${graph.nodes.length} nodes, ${graph.edges.length} edges`)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>
<g class="edges">${edges.join('\n')}</g>
<g class="nodes">${nodes.join('\n')}</g>
</svg>`;
}

function nodeSvg(n: VizNode, layout: Layout): string {
  const b = layout.nodes[n.id]!;
  const rules = n.rules?.length ?? 0;
  const sub = n.kind === 'dataset' ? `dataset · ${n.stage}` : n.kind === 'step' ? `${n.stage} step` : n.kind === 'quality' ? `quality · ${rules} rule${rules === 1 ? '' : 's'}` : `${n.kind} · ${n.type}`;
  return `<g class="node kind-${n.kind} status-none" data-node="${escapeHtml(n.id)}" data-kind="${n.kind}" data-status="" transform="translate(${b.x},${b.y})" tabindex="0" role="button" aria-label="${escapeHtml(`${n.kind} ${n.name}`)}">
<title>${escapeHtml(`${n.name}\n${n.summary}`)}</title>
<rect width="${b.w}" height="${b.h}" rx="8"/><rect class="band" width="6" height="${b.h}" rx="3"/>
<text class="name" x="14" y="20">${escapeHtml(clip(n.name, 20))}</text>
<text class="sub" x="14" y="36">${escapeHtml(clip(sub, 26))}</text>
<text class="state" x="14" y="51"></text>
<text class="extra" x="14" y="66"></text>
</g>`;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function legend(): string {
  const kinds = [['source', 'source'], ['step', 'step'], ['dataset', 'staged dataset'], ['quality', 'quality rules'], ['sink', 'sink']];
  return `<p class="legend">${kinds.map(([k, label]) => `<span class="key kind-${k}">${label}</span>`).join(' ')}
<span class="sep">·</span> <span class="key status-completed">done</span> <span class="key status-running">running</span> <span class="key status-failed">failed</span> <span class="key status-waiting">waiting for a decision</span> <span class="key status-pending">not run</span></p>`;
}

function pipelineList(pipelines: NonNullable<PageInput['pipelines']>): string {
  if (!pipelines.length) return '<section class="list"><h2>Pipelines</h2><p class="empty">No pipeline files in this folder.</p></section>';
  const rows = pipelines.map((p) => `<tr data-pipeline="${escapeHtml(p.name)}"><td>${p.error ? escapeHtml(p.name) : `<a href="/pipelines/${encodeURIComponent(p.name)}">${escapeHtml(p.name)}</a>`}</td><td>${escapeHtml(p.description ?? '')}${p.error ? `<pre class="error">${escapeHtml(p.error)}</pre>` : ''}</td><td class="file">${escapeHtml(p.file)}</td></tr>`);
  return `<section class="list" id="pipelines"><h2>Pipelines</h2><table><thead><tr><th>pipeline</th><th>description</th><th>file</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function runList(runs: RunListing[], links: boolean): string {
  if (!runs.length) return '<section class="list" id="runs"><h2>Runs</h2><p class="empty">No runs yet.</p></section>';
  const rows = runs.map((r) => {
    const id = links ? `<a href="/runs/${encodeURIComponent(r.workflowId)}">${escapeHtml(r.workflowId)}</a>` : escapeHtml(r.workflowId);
    return `<tr data-run="${escapeHtml(r.workflowId)}"><td>${id}</td><td>${escapeHtml(r.pipeline ?? '')}</td><td><span class="badge status-${escapeHtml(r.status.replace(/\s/g, '-'))}">${escapeHtml(r.status)}</span></td><td>${escapeHtml(r.runDate ?? '')}</td><td>${escapeHtml(r.trigger ?? '')}</td><td>${escapeHtml(r.startTime.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td><td>${escapeHtml(r.durationMs !== undefined ? formatDuration(r.durationMs) : '')}</td></tr>`;
  });
  return `<section class="list" id="runs"><h2>Runs</h2><table><thead><tr><th>run</th><th>pipeline</th><th>status</th><th>run date</th><th>trigger</th><th>started</th><th>duration</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** 412 ms · 3.2 s · 2 m 5 s (the script formats the same way). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (Math.round(ms / 100) < 600) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${s % 60} s`;
}
