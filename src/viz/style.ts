/** The view's CSS, inlined into every page (no stylesheet to fetch). */
export const STYLE = `
:root { --bg:#f6f7f9; --fg:#1d2330; --muted:#667085; --line:#c5cbd6; --card:#fff;
  --source:#2f6fdd; --step:#7a4fd6; --dataset:#1c8a7a; --quality:#b4357a; --sink:#d9822b;
  --ok:#1f9d55; --run:#2f6fdd; --bad:#d43d3d; --idle:#9aa3b2; --warn:#c98a00; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--source); }
header.top { padding:14px 22px 6px; display:flex; flex-wrap:wrap; align-items:baseline; gap:4px 16px; }
header.top h1 { margin:0; font-size:22px; }
.brand { font-weight:700; color:var(--muted); }
.brand a { color:inherit; text-decoration:none; }
.description { margin:0; color:var(--fg); flex-basis:100%; }
.file { margin:0; color:var(--muted); font-family:ui-monospace, monospace; font-size:12px; flex-basis:100%; }
.crumbs { margin:0; flex-basis:100%; font-size:13px; }
.notice { margin:8px 22px; padding:8px 12px; background:#fff8e1; border:1px solid #f0d58a; border-radius:6px; }
.run { margin:8px 22px; padding:10px 14px; background:var(--card); border:1px solid var(--line); border-radius:8px; display:flex; flex-wrap:wrap; gap:6px 18px; align-items:baseline; }
.run[hidden] { display:none; }
.run .id { font-weight:600; font-family:ui-monospace, monospace; }
.run .error { flex-basis:100%; color:var(--bad); white-space:pre-wrap; margin:0; }
.run .activities { flex-basis:100%; color:var(--muted); margin:0; padding-left:18px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; background:var(--idle); font-size:12px; }
.view { display:flex; gap:12px; margin:8px 22px; align-items:flex-start; }
.canvas { position:relative; flex:1; min-width:0; overflow:auto; background:var(--card); border:1px solid var(--line); border-radius:8px; max-height:78vh; }
.tools { position:sticky; top:0; left:0; display:flex; gap:4px; padding:6px; z-index:1; }
.tools button { font:inherit; font-size:12px; border:1px solid var(--line); background:#fff; border-radius:4px; padding:1px 8px; cursor:pointer; }
.tools button[aria-pressed="true"] { background:#e8eefb; }
svg.graph { display:block; }
.edge { fill:none; stroke:#98a2b3; stroke-width:1.6; }
.edge.hot { stroke:var(--fg); stroke-width:2.4; }
.arrowhead { fill:#98a2b3; }
.node { cursor:pointer; }
.node rect { fill:#fff; stroke:var(--line); stroke-width:1.2; }
.node .band { stroke:none; }
.node.kind-source .band { fill:var(--source); } .node.kind-step .band { fill:var(--step); }
.node.kind-dataset .band { fill:var(--dataset); } .node.kind-sink .band { fill:var(--sink); }
.node.kind-quality .band { fill:var(--quality); }
.node.kind-dataset rect:first-of-type { rx:20; }
.node text { font-size:12px; fill:var(--fg); }
.node text.name { font-weight:600; font-size:13px; }
.node text.sub { fill:var(--muted); font-size:11px; }
.node text.state, .node text.extra { font-size:11px; fill:var(--muted); }
.node:hover rect:first-of-type, .node:focus rect:first-of-type { stroke:var(--fg); }
.node.selected rect:first-of-type { stroke:var(--fg); stroke-width:2.6; }
.node.status-completed rect:first-of-type, .node.status-delivered rect:first-of-type, .node.status-reused rect:first-of-type { stroke:var(--ok); }
.node.status-running rect:first-of-type { stroke:var(--run); stroke-width:2.4; stroke-dasharray:6 3; }
.node.status-failed rect:first-of-type { stroke:var(--bad); stroke-width:2.4; fill:#fff3f3; }
.node.status-failed text.state { fill:var(--bad); }
.node.status-cancelled rect:first-of-type, .node.status-stopped rect:first-of-type { stroke:var(--warn); }
.node.status-passed rect:first-of-type, .node.status-approved rect:first-of-type { stroke:var(--ok); }
.node.status-warned rect:first-of-type, .node.status-quarantined rect:first-of-type { stroke:var(--warn); stroke-width:2; }
.node.status-rejected rect:first-of-type { stroke:var(--bad); stroke-width:2.4; fill:#fff3f3; }
.node.status-waiting rect:first-of-type { stroke:var(--warn); stroke-width:2.6; stroke-dasharray:3 3; fill:#fffaf0; }
.node.status-waiting text.state, .node.status-waiting text.extra { fill:#8a5d00; }
.status-completed.badge, .status-delivered.badge, .status-reused.badge { background:var(--ok); }
.status-running.badge { background:var(--run); } .status-failed.badge { background:var(--bad); }
.status-cancelled.badge, .status-terminated.badge, .status-timed-out.badge { background:var(--warn); }
.status-passed.badge, .status-approved.badge { background:var(--ok); } .status-rejected.badge { background:var(--bad); }
.status-waiting.badge, .status-warned.badge, .status-quarantined.badge, .status-not-evaluated.badge { background:var(--warn); }
.run .gate { flex-basis:100%; background:#fffaf0; border:1px solid #f0d58a; border-radius:6px; padding:8px 10px; }
.run .gate p, .run .decision { margin:2px 0 0; }
.run .decision { flex-basis:100%; }
.run .gate .commands { margin:4px 0 0; padding-left:18px; }
.run .gate code { background:#f3f4f7; padding:1px 5px; border-radius:3px; }
.details .rule { border-top:1px solid #e4e7ec; padding:6px 0; }
.details .rule p { margin:0; }
.details .rule .rule-head { display:flex; gap:8px; align-items:baseline; word-break:break-all; }
.details .rule .counts { font-weight:600; }
.details .rule.status-failed .message { color:var(--bad); }
.details table.samples { font-size:11px; margin-top:4px; }
.details { width:320px; flex:none; background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; max-height:78vh; overflow:auto; }
.details h2 { margin:0 0 2px; font-size:17px; word-break:break-all; }
.details h3 { margin:12px 0 4px; font-size:13px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.details .meta { color:var(--muted); margin:0; }
.details pre, .list pre { background:#f3f4f7; padding:6px 8px; border-radius:4px; overflow:auto; font-size:12px; margin:0; white-space:pre-wrap; word-break:break-word; }
.details pre.error, .list pre.error { background:#fff3f3; color:var(--bad); }
.details dl { display:grid; grid-template-columns:auto 1fr; gap:2px 10px; margin:0; }
.details dt { color:var(--muted); } .details dd { margin:0; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid #e4e7ec; vertical-align:top; }
th { color:var(--muted); font-weight:500; font-size:12px; }
.details table td:first-child { font-family:ui-monospace, monospace; }
.list { margin:12px 22px; }
.list h2 { font-size:16px; margin:0 0 6px; }
.list td.file { font-family:ui-monospace, monospace; font-size:12px; color:var(--muted); }
.legend { margin:4px 22px; color:var(--muted); font-size:12px; }
.key { display:inline-block; padding:0 6px; border-left:6px solid var(--idle); margin-right:6px; }
.key.kind-source { border-color:var(--source); } .key.kind-step { border-color:var(--step); }
.key.kind-dataset { border-color:var(--dataset); } .key.kind-sink { border-color:var(--sink); }
.key.kind-quality { border-color:var(--quality); } .key.status-waiting { border-color:var(--warn); }
.key.status-completed { border-color:var(--ok); } .key.status-running { border-color:var(--run); }
.key.status-failed { border-color:var(--bad); } .key.status-pending { border-color:var(--idle); }
.hint, .empty { color:var(--muted); }
footer { margin:16px 22px; color:var(--muted); font-size:12px; }
`;
