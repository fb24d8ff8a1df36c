/**
 * The view's browser script, inlined into every page. It reads the page's data (a JSON script
 * element), paints the run onto the SVG nodes, fills the details panel on a click, and on a live run
 * page polls the run's JSON every second until the run ends. Text goes in through `textContent`
 * only, never as HTML. Plain ES2017, no modules, nothing loaded.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ferry-data').textContent);
  var graph = data.graph;
  if (!graph) return;
  var run = data.run;
  var selected = null;
  var byId = {};
  graph.nodes.forEach(function (n) { byId[n.id] = n; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function ms(v) {
    if (v === undefined || v === null) return '';
    if (v < 1000) return Math.round(v) + ' ms';
    if (Math.round(v / 100) < 600) return (v / 1000).toFixed(1) + ' s';
    var s = Math.round(v / 1000);
    return Math.floor(s / 60) + ' m ' + (s % 60) + ' s';
  }
  function rows(n) { return n === 1 ? '1 row' : n + ' rows'; }
  function slug(s) { return String(s || 'none').replace(/\s+/g, '-'); }
  function stateLine(s) {
    if (!s) return '';
    var parts = [];
    if (s.rows !== undefined) parts.push(rows(s.rows));
    if (s.durationMs !== undefined && s.durationOf === 'activity') parts.push(ms(s.durationMs));
    if (s.live) parts.push(s.live);
    if (s.status !== 'completed' && s.status !== 'delivered' || !parts.length) parts.unshift(s.status);
    var text = parts.join(' · ');
    return text.length > 27 ? text.slice(0, 26) + '…' : text;
  }

  function paintHeader() {
    var box = document.getElementById('run');
    if (!box) return;
    box.textContent = '';
    if (!run) { box.hidden = true; return; }
    box.hidden = false;
    var id = el('a', 'id', run.workflowId);
    id.href = run.url; id.target = '_blank'; id.rel = 'noopener noreferrer'; id.title = 'open this run in the Temporal UI';
    box.appendChild(id);
    var badge = el('span', 'badge status-' + slug(run.status), run.status);
    badge.id = 'run-status';
    box.appendChild(badge);
    var facts = [['run date', run.runDate], ['trigger', run.trigger], ['started', run.startedAt && run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')],
      ['duration', ms(run.durationMs)], ['stage', run.status === 'running' ? run.stage : ''], ['rows delivered', run.rowsDelivered],
      ['resumed from', run.resumedFrom]];
    facts.forEach(function (f) {
      if (f[1] === undefined || f[1] === null || f[1] === '') return;
      var s = el('span', 'fact');
      s.appendChild(el('span', 'label', f[0] + ' '));
      var v = el('strong', null, f[1]);
      v.setAttribute('data-fact', f[0]);
      s.appendChild(v);
      box.appendChild(s);
    });
    var ui = el('a', 'ui', 'Temporal UI ↗');
    ui.href = run.url; ui.target = '_blank'; ui.rel = 'noopener noreferrer';
    box.appendChild(ui);
    if (!run.reported) box.appendChild(el('p', 'error', 'No report for this run: ' + (run.status === 'running' ? 'no worker answers its progress query yet.' : 'it ended without one (terminated or timed out).')));
    if (run.error) box.appendChild(el('pre', 'error', run.error));
    if (run.activities && run.activities.length) {
      var ul = el('ul', 'activities');
      run.activities.forEach(function (a) { ul.appendChild(el('li', null, 'running: ' + a)); });
      box.appendChild(ul);
    }
  }

  function paintNodes() {
    var gs = document.querySelectorAll('#graph [data-node]');
    for (var i = 0; i < gs.length; i++) {
      var g = gs[i];
      var id = g.getAttribute('data-node');
      var s = run && run.nodes ? run.nodes[id] : null;
      var cls = 'node kind-' + g.getAttribute('data-kind') + ' status-' + slug(s ? s.status : 'none') + (id === selected ? ' selected' : '');
      g.setAttribute('class', cls);
      g.setAttribute('data-status', s ? s.status : '');
      if (s && s.rows !== undefined) g.setAttribute('data-rows', String(s.rows)); else g.removeAttribute('data-rows');
      g.querySelector('text.state').textContent = stateLine(s);
    }
  }

  function section(panel, title) { panel.appendChild(el('h3', null, title)); }
  function facts(panel, list) {
    var dl = el('dl');
    list.forEach(function (f) {
      if (f[1] === undefined || f[1] === null || f[1] === '') return;
      dl.appendChild(el('dt', null, f[0]));
      var dd = el('dd', null, f[1]);
      dd.setAttribute('data-detail', f[0]);
      dl.appendChild(dd);
    });
    panel.appendChild(dl);
  }

  function show(id) {
    var n = byId[id];
    var panel = document.getElementById('details');
    if (!n || !panel) return;
    selected = id;
    panel.textContent = '';
    panel.setAttribute('data-node', id);
    panel.appendChild(el('h2', null, n.name));
    panel.appendChild(el('p', 'meta', n.kind === 'dataset' ? 'staged dataset · after ' + n.stage : n.kind + ' · ' + n.type + ' · ' + n.stage));
    var s = run && run.nodes ? run.nodes[id] : null;
    if (run) {
      section(panel, 'Run');
      facts(panel, [['status', s ? s.status : 'not in this run'], ['rows', s && s.rows], ['duration', s && s.durationMs !== undefined ? ms(s.durationMs) + (s.durationOf === 'stage' ? ' (whole ' + n.stage + ' stage)' : '') : ''],
        ['attempts', s && s.attempts], ['now', s && s.live], ['target', s && s.detail]]);
      if (s && s.error) panel.appendChild(el('pre', 'error', s.error));
    }
    var cols = s && s.columns ? s.columns : n.declaredColumns;
    if (cols && cols.length) {
      section(panel, 'Columns' + (s && s.columns ? ' (' + cols.length + ')' : ' (declared)'));
      var table = el('table', 'columns');
      cols.forEach(function (c) {
        var tr = el('tr');
        tr.appendChild(el('td', null, c.name));
        tr.appendChild(el('td', null, c.type));
        table.appendChild(tr);
      });
      panel.appendChild(table);
    }
    if (n.reads || n.writes) {
      section(panel, 'Datasets');
      facts(panel, [['reads', (n.reads || []).join(', ')], ['writes', (n.writes || []).join(', ')]]);
    }
    if (n.config) {
      section(panel, 'Config');
      panel.appendChild(el('pre', 'config', JSON.stringify(n.config, null, 2)));
    }
    if (n.connection) {
      section(panel, 'Connection ' + n.connection.name);
      panel.appendChild(el('pre', 'connection', JSON.stringify(n.connection.config, null, 2)));
    }
    var edges = document.querySelectorAll('#graph .edge');
    for (var i = 0; i < edges.length; i++) {
      var e = edges[i];
      var hot = e.getAttribute('data-from') === id || e.getAttribute('data-to') === id;
      e.setAttribute('class', hot ? 'edge hot' : 'edge');
    }
    paintNodes();
  }

  var svg = document.getElementById('graph');
  function pick(ev) {
    var g = ev.target && ev.target.closest ? ev.target.closest('[data-node]') : null;
    if (g) show(g.getAttribute('data-node'));
  }
  svg.addEventListener('click', pick);
  svg.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(ev); } });

  // Zoom: "fit" scales the graph to the canvas width, but never below a readable size (then it scrolls).
  var canvas = document.getElementById('canvas');
  var vb = svg.viewBox.baseVal;
  var scale = 1;
  var fitted = true;
  function zoom(next, fit) {
    fitted = !!fit;
    scale = fit ? Math.max(0.5, Math.min(1, (canvas.clientWidth - 4) / vb.width)) : Math.max(0.3, Math.min(2, next));
    svg.style.width = Math.round(vb.width * scale) + 'px';
    svg.style.height = Math.round(vb.height * scale) + 'px';
    document.getElementById('fit').setAttribute('aria-pressed', String(fitted));
    svg.setAttribute('data-scale', scale.toFixed(2));
  }
  document.getElementById('fit').addEventListener('click', function () { zoom(0, true); });
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(scale * 1.25); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(scale / 1.25); });
  window.addEventListener('resize', function () { if (fitted) zoom(0, true); });
  zoom(0, true);

  function apply(next) {
    run = next;
    paintHeader();
    if (selected) show(selected); else paintNodes();
  }
  apply(run);

  if (data.live && run && run.status === 'running') {
    var poll = function () {
      fetch(data.live, { cache: 'no-store', headers: { accept: 'application/json' } })
        .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
        .then(function (body) {
          apply(body.run);
          document.body.setAttribute('data-polls', String(Number(document.body.getAttribute('data-polls') || 0) + 1));
          if (body.run.status === 'running') setTimeout(poll, 1000);
        })
        .catch(function (err) {
          var box = document.getElementById('run');
          if (box) box.appendChild(el('p', 'error', 'live updates paused (' + err.message + '); retrying'));
          setTimeout(poll, 2000);
        });
    };
    setTimeout(poll, 1000);
  }
})();
`;
