// The dashboard of `torchsweep results serve`: the sweeps, one sweep's runs as a table,
// and a metric's curves (selected runs, or groups of runs with a band), live. Every
// number comes from the server's JSON API (docs/cli.md); the view is kept in the URL's
// hash, so that a link reproduces it.
'use strict';

(function () {
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                   '#bcbd22', '#17becf'];
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);

  // The view: what the hash holds.
  const view = { sweep: '', metric: 'train/loss', where: '', mode: 'group', by: 'optimizer.lr', band: 'std',
                 logx: false, logy: false, sort: 'id', dir: 1, runs: '' };
  let runsData = null;        // the last /api/runs answer
  let chart = null;
  let shown = [];             // runs mode: [{run, steps, values}] as drawn; group mode: the groups
  let version = '';           // the database version the chart shows
  let hovered = null;         // a run id highlighted in both the table and the chart

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    for (const key of Object.keys(view)) {
      if (!p.has(key)) continue;
      const v = p.get(key);
      if (typeof view[key] === 'boolean') view[key] = v === '1';
      else if (typeof view[key] === 'number') view[key] = Number(v) || 1;
      else view[key] = v;
    }
  }

  function writeHash() {
    const p = new URLSearchParams();
    for (const [key, v] of Object.entries(view)) {
      if (v === '' || v === false) continue;
      p.set(key, typeof v === 'boolean' ? '1' : String(v));
    }
    history.replaceState(null, '', '#' + p.toString());
  }

  async function getJSON(path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== undefined && v !== null) query.set(k, v);
    const response = await fetch(path + (query.toString() ? '?' + query : ''), { credentials: 'same-origin' });
    const body = await response.json();
    if (!response.ok) throw body;
    return body;
  }

  function showError(id, error, text) {
    const box = $(id);
    if (!error) {
      box.hidden = true;
      box.textContent = '';
      return;
    }
    let message = error.error || String(error);
    if (text !== undefined && error.column) message = text + '\n' + ' '.repeat(Math.max(0, error.column - 1)) + '^\n' + message;
    box.textContent = message;
    box.hidden = false;
  }

  function formatNumber(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v)) return String(v);
    return Number(v.toPrecision(6)).toString();
  }

  // --- sweeps -------------------------------------------------------------------------

  async function loadSweeps() {
    const data = await getJSON('/api/sweeps');
    const select = $('sweep');
    select.textContent = '';
    for (const s of data.sweeps.slice().reverse()) {
      const option = document.createElement('option');
      option.value = String(s.sweep);
      option.textContent = `${s.sweep}: ${s.name} (${s.runs} runs, ${s.mode}${s.overrides ? ', ' + s.overrides : ''})`;
      select.appendChild(option);
    }
  }

  // --- the runs table -----------------------------------------------------------------

  function columns() {
    const cols = [{ key: 'id', title: 'run' }, { key: 'status', title: 'status', cls: 'status' }];
    for (const p of runsData.params) cols.push({ key: 'param:' + p, title: p });
    const m = runsData.metric;
    cols.push({ key: 'last', title: m + ' last' }, { key: 'min', title: 'min' }, { key: 'max', title: 'max' },
              { key: 'last_step', title: 'step' });
    return cols;
  }

  function cell(run, key) {
    if (key.startsWith('param:')) {
      const v = run.swept[key.slice(6)];
      return v === undefined ? null : v;
    }
    return run[key];
  }

  function compare(a, b) {
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b));
  }

  function selectedRuns() {
    if (!runsData) return [];
    const ids = runsData.runs.map((r) => r.id);
    if (!view.runs) return ids.slice(0, 20);
    const chosen = new Set(view.runs.split(',').map(Number));
    return ids.filter((id) => chosen.has(id));
  }

  function renderTable() {
    const cols = columns();
    const head = document.querySelector('#runs thead tr');
    head.textContent = '';
    for (const c of cols) {
      const th = document.createElement('th');
      th.textContent = c.title;
      th.dataset.key = c.key;
      if (c.cls) th.className = c.cls;
      if (view.sort === c.key) th.classList.add(view.dir > 0 ? 'sorted-up' : 'sorted-down');
      th.addEventListener('click', () => {
        view.dir = view.sort === c.key ? -view.dir : 1;
        view.sort = c.key;
        writeHash();
        renderTable();
      });
      head.appendChild(th);
    }
    const rows = runsData.runs.slice().sort((a, b) => view.dir * compare(cell(a, view.sort), cell(b, view.sort)));
    const selected = new Set(selectedRuns());
    const body = document.querySelector('#runs tbody');
    body.textContent = '';
    for (const run of rows) {
      const tr = document.createElement('tr');
      tr.dataset.run = run.id;
      if (selected.has(run.id)) tr.classList.add('selected');
      for (const c of cols) {
        const td = document.createElement('td');
        const v = cell(run, c.key);
        td.textContent = formatNumber(v);
        if (c.key === 'status') td.className = 'status ' + run.status;
        tr.appendChild(td);
      }
      tr.addEventListener('click', () => toggleRun(run.id));
      tr.addEventListener('mouseenter', () => highlight(run.id));
      tr.addEventListener('mouseleave', () => highlight(null));
      body.appendChild(tr);
    }
    $('runs-count').textContent = `${rows.length} run(s) of sweep ${runsData.sweep ?? '–'}; ` +
      `${selected.size} selected (click a row)`;
  }

  function toggleRun(id) {
    const ids = new Set(selectedRuns());
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    view.runs = [...ids].sort((a, b) => a - b).join(',') || '-';
    writeHash();
    renderTable();
    if (view.mode === 'runs') loadChart();
  }

  async function loadRuns() {
    try {
      runsData = await getJSON('/api/runs', { sweep: view.sweep, where: view.where, metric: view.metric });
      $('where').classList.remove('bad');
      showError('where-error', null);
    } catch (error) {
      $('where').classList.add('bad');
      showError('where-error', error, view.where);
      return false;
    }
    if (!view.sweep && runsData.sweep !== null) $('sweep').value = String(runsData.sweep);
    const metric = $('metric');
    metric.textContent = '';
    const names = runsData.metrics.includes(view.metric) ? runsData.metrics : [view.metric, ...runsData.metrics];
    for (const name of names) {
      const option = document.createElement('option');
      option.value = option.textContent = name;
      metric.appendChild(option);
    }
    metric.value = view.metric;
    renderTable();
    return true;
  }

  // --- the chart ----------------------------------------------------------------------

  function points(steps, values) {
    const out = [];
    for (let i = 0; i < steps.length; ++i) {
      const x = steps[i], y = values[i];
      if ((view.logx && x <= 0) || (view.logy && y !== null && y <= 0)) continue;
      out.push({ x, y });
    }
    return out;
  }

  function alpha(color, a) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }

  function runDatasets(curves) {
    return curves.map((c, i) => {
      const color = PALETTE[i % PALETTE.length];
      const run = runsData && runsData.runs.find((r) => r.id === c.run);
      const params = run ? Object.entries(run.swept).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ') : '';
      return { label: `run ${c.run}${params ? ' · ' + params : ''}${c.stopped ? ' (stopped)' : ''}`, role: 'run',
               run: c.run, data: points(c.steps, c.values), borderColor: color, backgroundColor: color,
               borderWidth: 1.5, pointRadius: 0, spanGaps: false };
    });
  }

  function groupDatasets(groups) {
    const sets = [];
    groups.forEach((g, i) => {
      const color = PALETTE[i % PALETTE.length];
      if (view.band !== 'none') {
        const lower = g.mean.map((m, j) => view.band === 'std' ? (m === null || g.std[j] === null ? m : m - g.std[j]) : g.min[j]);
        const upper = g.mean.map((m, j) => view.band === 'std' ? (m === null || g.std[j] === null ? m : m + g.std[j]) : g.max[j]);
        sets.push({ label: g.label + ' lower', role: 'lower', group: g.label, data: points(g.steps, lower),
                    borderWidth: 0, pointRadius: 0, fill: false, borderColor: alpha(color, 0) });
        sets.push({ label: g.label + ' upper', role: 'upper', group: g.label, data: points(g.steps, upper),
                    borderWidth: 0, pointRadius: 0, fill: '-1', borderColor: alpha(color, 0),
                    backgroundColor: alpha(color, 0.18) });
      }
      sets.push({ label: `${g.label} (N=${g.runs.length})`, role: 'mean', group: g.label, runs: g.runs,
                  data: points(g.steps, g.mean), borderColor: color, backgroundColor: color, borderWidth: 2,
                  pointRadius: 0, spanGaps: false });
    });
    return sets;
  }

  // A log axis labels its powers of ten only (1e-3, 1e-2, ...): Chart.js would label
  // every minor tick with all its digits.
  function logTick(value) {
    const e = Math.log10(value);
    return Math.abs(e - Math.round(e)) < 1e-9 ? `1e${Math.round(e)}` : '';
  }

  function axis(log, title) {
    const scale = { type: log ? 'logarithmic' : 'linear', title: { display: true, text: title } };
    if (log) {
      scale.ticks = { callback: logTick, autoSkip: false };
      scale.grid = { color: (context) => (logTick(context.tick.value) ? '#d0d0d0' : '#f0f0f0') };
    }
    return scale;
  }

  function chartWidth() { return Math.max(100, Math.min(10000, Math.round($('chart-box').clientWidth || 800))); }

  function drawChart(datasets, xTitle) {
    const config = {
      type: 'line',
      data: { datasets },
      options: {
        animation: false, parsing: true, normalized: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: axis(view.logx, xTitle),
          y: axis(view.logy, view.metric),
        },
        plugins: {
          legend: { labels: { filter: (item, data) => ['run', 'mean'].includes(data.datasets[item.datasetIndex].role) } },
          tooltip: { filter: (item) => ['run', 'mean'].includes(item.dataset.role) },
        },
        onHover: (event, elements) => {
          const el = elements.find((e) => chart.data.datasets[e.datasetIndex].role === 'run');
          markRow(el ? chart.data.datasets[el.datasetIndex].run : null);
        },
      },
    };
    if (chart) chart.destroy();
    chart = new Chart($('chart'), config);
  }

  async function loadChart() {
    const common = { sweep: view.sweep, where: view.where, metric: view.metric, width: chartWidth() };
    try {
      if (view.mode === 'group') {
        const data = await getJSON('/api/groups', { ...common, by: view.by });
        shown = data.groups;
        drawChart(groupDatasets(data.groups), data.axis);
        $('chart-note').textContent = `${data.groups.length} group(s) by ${data.by}; band: ${view.band}`;
      } else {
        const ids = selectedRuns();
        if (!ids.length) {
          shown = [];
          drawChart([], 'step');
          $('chart-note').textContent = 'no run selected: click rows of the table';
          showError('chart-error', null);
          return;
        }
        const data = await getJSON('/api/curves', { runs: ids.join(','), metric: view.metric, width: chartWidth() });
        shown = data.curves;
        drawChart(runDatasets(data.curves), data.axis);
        const points = data.curves.reduce((n, c) => n + c.points, 0);
        const sent = data.curves.reduce((n, c) => n + c.steps.length, 0);
        $('chart-note').textContent = `${data.curves.length} run(s); ${sent} of ${points} points drawn`;
      }
      showError('chart-error', null);
    } catch (error) {
      showError('chart-error', error);
    }
  }

  // Linking: a row hovered highlights its curve; a curve hovered marks its row.
  function highlight(id) {
    hovered = id;
    markRow(id);
    if (!chart) return;
    for (const d of chart.data.datasets) {
      if (d.role !== 'run') continue;
      d.borderWidth = id !== null && d.run === id ? 4 : 1.5;
    }
    chart.update('none');
  }

  function markRow(id) {
    for (const tr of document.querySelectorAll('#runs tbody tr.hovered')) tr.classList.remove('hovered');
    if (id === null || id === undefined) return;
    const tr = document.querySelector(`#runs tbody tr[data-run="${id}"]`);
    if (tr) tr.classList.add('hovered');
  }

  // --- live ---------------------------------------------------------------------------

  async function poll() {
    const params = { version, metric: view.metric };
    if (view.mode === 'runs' && shown.length) {
      params.runs = shown.map((c) => c.run).join(',');
      params.after = shown.map((c) => (c.steps.length ? c.steps[c.steps.length - 1] : -1)).join(',');
    }
    let data;
    try {
      data = await getJSON('/api/updates', params);
      $('live').classList.remove('stale');
    } catch (error) {
      $('live').classList.add('stale');
      return;
    }
    if (!data.changed) return;
    const first = version === '';
    version = data.version;
    if (first) return;
    await loadRuns();
    if (view.mode === 'runs' && chart) {
      for (const update of data.runs) {
        const curve = shown.find((c) => c.run === update.run);
        const set = chart.data.datasets.find((d) => d.run === update.run);
        if (!curve || !set) continue;
        curve.steps.push(...update.steps);
        curve.values.push(...update.values);
        set.data.push(...points(update.steps, update.values));
      }
      chart.update('none');
    } else {
      await loadChart();
    }
  }

  // --- export -------------------------------------------------------------------------

  function exportCsv() {
    if (!chart) return '';
    const lines = ['series,x,y'];
    for (const d of chart.data.datasets)
      for (const p of d.data) lines.push(`"${d.label.replace(/"/g, '""')}",${p.x},${p.y ?? ''}`);
    return lines.join('\n') + '\n';
  }

  // --- wiring -------------------------------------------------------------------------

  function syncControls() {
    $('where').value = view.where;
    $('mode').value = view.mode;
    $('by').value = view.by;
    $('band').value = view.band;
    $('logx').checked = view.logx;
    $('logy').checked = view.logy;
    $('by').disabled = $('band').disabled = view.mode !== 'group';
  }

  async function start() {
    readHash();
    syncControls();
    await loadSweeps();
    if (view.sweep) $('sweep').value = view.sweep;
    await loadRuns();
    await loadChart();
    writeHash();
    await poll();

    $('sweep').addEventListener('change', async () => {
      view.sweep = $('sweep').value;
      view.runs = '';
      writeHash();
      await loadRuns();
      await loadChart();
    });
    $('metric').addEventListener('change', async () => {
      view.metric = $('metric').value;
      writeHash();
      await loadRuns();
      await loadChart();
    });
    $('filter-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      view.where = $('where').value.trim();
      writeHash();
      if (await loadRuns()) await loadChart();
    });
    for (const id of ['mode', 'band', 'logx', 'logy']) {
      $(id).addEventListener('change', () => {
        view[id] = $(id).type === 'checkbox' ? $(id).checked : $(id).value;
        syncControls();
        writeHash();
        loadChart();
      });
    }
    $('by').addEventListener('change', () => {
      view.by = $('by').value.trim() || 'optimizer.lr';
      writeHash();
      loadChart();
    });
    $('png').addEventListener('click', () => { if (chart) $('png').href = chart.toBase64Image('image/png', 1); });
    $('csv').addEventListener('click', () => {
      $('csv').href = URL.createObjectURL(new Blob([exportCsv()], { type: 'text/csv' }));
    });
    $('chart-box').addEventListener('mouseleave', () => markRow(hovered));
    setInterval(poll, POLL_MS);
    document.body.dataset.ready = '1';
  }

  window.addEventListener('DOMContentLoaded', () => {
    start().catch((error) => showError('chart-error', error));
  });
})();
