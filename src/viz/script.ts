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
  function time(t) { return t ? String(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
  // A version is the logical run key (the workflow id): its pipeline prefix says nothing on the node.
  function shortVersion(v) { var p = graph.pipeline + '-'; return v.indexOf(p) === 0 && v.length > p.length ? v.slice(p.length) : v; }
  function live(status) { return status === 'running' || status === 'waiting'; }
  function stateLine(s) {
    if (!s) return '';
    var parts = [];
    if (s.rows !== undefined) parts.push(rows(s.rows));
    if (s.checks) parts.push(s.checks);
    if (s.durationMs !== undefined && s.durationOf === 'activity') parts.push(ms(s.durationMs));
    if (s.live) parts.push(s.live);
    // A quality node's fourth line says what the gate made of it (waiting, approved by …): no status here then.
    if (s.status !== 'completed' && s.status !== 'delivered' && s.status !== 'passed' && !s.gate || !parts.length) parts.unshift(s.status);
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
    var q = run.quality;
    var checks = q ? [[q.failed, 'failed'], [q.warned, 'warned'], [q.notEvaluated, 'not evaluated'], [q.passed, 'passed']].filter(function (c) { return c[0] > 0; })
      .map(function (c) { return c[0] + ' ' + c[1]; }).join(', ') : '';
    var facts = [['run date', run.runDate], ['trigger', run.trigger], ['started', time(run.startedAt)],
      ['duration', ms(run.durationMs)], ['stage', live(run.status) ? run.stage : ''], ['rows delivered', run.rowsDelivered],
      ['resumed from', run.resumedFrom], ['quality', q ? q.verdict + (checks ? ' (' + checks + ')' : '') : ''],
      ['pipeline sha256', run.audit && run.audit.pipelineSha256 ? run.audit.pipelineSha256.slice(0, 12) : ''], ['report', run.reportUri]];
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
    if (run.gate) box.appendChild(gateBox(run.gate));
    if (run.decision) {
      var d = run.decision;
      var said = d.timedOut ? 'No decision before the deadline: ' + d.decision + ' (the default), at ' + time(d.at)
        : 'Decision: ' + d.decision + ' by ' + d.by + ' at ' + time(d.at) + (d.comment ? ' · ' + d.comment : '');
      var p = el('p', 'decision', said);
      p.id = 'decision';
      box.appendChild(p);
    }
    if (!run.reported) box.appendChild(el('p', 'error', 'No report for this run: ' + (live(run.status) ? 'no worker answers its progress query yet.' : 'it ended without one (terminated or timed out).')));
    if (run.error) box.appendChild(el('pre', 'error', run.error));
    if (run.activities && run.activities.length) {
      var ul = el('ul', 'activities');
      run.activities.forEach(function (a) { ul.appendChild(el('li', null, 'running: ' + a)); });
      box.appendChild(ul);
    }
  }

  /** The run waits at the quality gate: since when, until when, which rules asked, and how to decide. */
  function gateBox(gate) {
    var g = el('div', 'gate');
    g.id = 'gate';
    g.appendChild(el('strong', null, 'Waiting for a decision'));
    g.appendChild(el('span', null, ' since ' + time(gate.askedAt) + (gate.deadline ? ' · deadline ' + time(gate.deadline) + ', then ' + gate.default : ' · no deadline')));
    if (gate.rules && gate.rules.length) g.appendChild(el('p', 'rules', 'rules that failed: ' + gate.rules.join(', ')));
    var ul = el('ul', 'commands');
    gate.commands.forEach(function (c) { var li = el('li'); li.appendChild(el('code', null, c)); ul.appendChild(li); });
    g.appendChild(ul);
    return g;
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
      var extra = s ? s.gate || (s.version ? 'v ' + shortVersion(s.version) : '') : '';
      g.querySelector('text.extra').textContent = extra.length > 25 ? extra.slice(0, 24) + '…' : extra;
      if (s && s.version) g.setAttribute('data-version', s.version); else g.removeAttribute('data-version');
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
    panel.appendChild(el('p', 'meta', n.kind === 'dataset' ? 'staged dataset · after ' + n.stage : n.kind === 'quality' ? 'quality rules · checked before any sink' : n.kind + ' · ' + n.type + ' · ' + n.stage));
    var s = run && run.nodes ? run.nodes[id] : null;
    if (run) {
      section(panel, 'Run');
      facts(panel, [['status', s ? s.status : 'not in this run'], ['rows', s && s.rows], ['duration', s && s.durationMs !== undefined ? ms(s.durationMs) + (s.durationOf === 'stage' ? ' (whole ' + n.stage + ' stage)' : '') : ''],
        ['attempts', s && s.attempts], ['now', s && s.live], ['target', s && s.detail], ['rules', s && s.checks], ['gate', s && s.gate], ['version', s && s.version]]);
      if (s && s.error) panel.appendChild(el('pre', 'error', s.error));
    }
    if (n.rules) showRules(panel, s && s.rules ? s.rules : n.rules);
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

  /** Each rule: what it checks, its result, counts, message and sample violating rows. */
  function showRules(panel, list) {
    section(panel, 'Rules (' + list.length + ')');
    list.forEach(function (r) {
      var box = el('div', 'rule status-' + slug(r.status || 'none'));
      box.setAttribute('data-rule', r.name);
      var head = el('p', 'rule-head');
      head.appendChild(el('strong', null, r.name));
      if (r.status) head.appendChild(el('span', 'badge status-' + slug(r.status), r.status));
      box.appendChild(head);
      box.appendChild(el('p', 'meta', [r.rule, r.kind + ' rule', r.severity === 'warn' ? 'warn (reported only)' : 'error · on_fail ' + r.onFail].join(' · ')));
      if (r.summary) box.appendChild(el('p', 'meta', r.summary));
      var counts = r.checked !== undefined ? (r.failed || 0) + ' of ' + rows(r.checked) + ' failed' : r.value !== undefined ? 'value ' + r.value + (r.expected ? ', expected ' + r.expected : '') : '';
      if (r.threshold) counts += (counts ? ' · ' : '') + 'allowed: ' + r.threshold;
      if (counts) box.appendChild(el('p', 'counts', counts));
      if (r.message) box.appendChild(el('p', 'message', r.message));
      if (r.samples && r.samples.length) {
        var cols = [];
        r.samples.forEach(function (row) { Object.keys(row).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
        var table = el('table', 'samples');
        var head2 = el('tr');
        cols.forEach(function (c) { head2.appendChild(el('th', null, c)); });
        table.appendChild(head2);
        r.samples.forEach(function (row) {
          var tr = el('tr');
          cols.forEach(function (c) { tr.appendChild(el('td', null, row[c] === null || row[c] === undefined ? 'NULL' : row[c])); });
          table.appendChild(tr);
        });
        box.appendChild(table);
      }
      panel.appendChild(box);
    });
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

  // A run waiting for a decision is not over: poll it too, less often (a wait can last a day).
  if (data.live && run && live(run.status)) {
    var poll = function () {
      fetch(data.live, { cache: 'no-store', headers: { accept: 'application/json' } })
        .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
        .then(function (body) {
          apply(body.run);
          document.body.setAttribute('data-polls', String(Number(document.body.getAttribute('data-polls') || 0) + 1));
          if (live(body.run.status)) setTimeout(poll, body.run.status === 'waiting' ? 2000 : 1000);
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
