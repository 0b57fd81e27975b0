// The dashboard of `torchsweep results serve`: the sweeps, one sweep's runs as a table
// (a page at a time), a metric's curves (selected runs, or groups of runs with a band),
// the swept parameter against a run's final or best value, and one run's own page,
// live. Every number comes from the server's JSON API (docs/cli.md); the view is kept
// in the URL's hash, so that a link reproduces it.
'use strict';

(function () {
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                   '#bcbd22', '#17becf'];
  const POLL_MS = 2000;
  const PAGE_ROWS = 100;      // rows of the runs table drawn at once
  const $ = (id) => document.getElementById(id);

  // The view: what the hash holds.
  const view = { sweep: '', metric: 'train/loss', where: '', mode: 'group', by: 'optimizer.lr', band: 'std',
                 x: 'step', smooth: 0, logx: false, logy: false, sort: 'id', dir: 1, runs: '', page: 1,
                 summary: 'last', slogx: true, run: '' };
  const DEFAULTS = { ...view };
  let runsData = null;        // the last /api/runs answer
  let chart = null;
  let scatter = null;
  let runChart = null;
  let shown = [];             // runs mode: [{run, steps, values}] as drawn; group mode: the groups
  let version = '';           // the database version the chart shows
  let hovered = null;         // a run id highlighted in both the table and the chart

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    for (const key of Object.keys(view)) {
      if (!p.has(key)) continue;
      const v = p.get(key);
      if (typeof view[key] === 'boolean') view[key] = v === '1';
      else if (typeof view[key] === 'number') view[key] = Number.isFinite(Number(v)) ? Number(v) : DEFAULTS[key];
      else view[key] = v;
    }
  }

  function writeHash() {
    const p = new URLSearchParams();
    for (const [key, v] of Object.entries(view)) {
      if (v === DEFAULTS[key] && key !== 'sweep') continue;
      if (v === '') continue;
      p.set(key, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
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
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    view.page = Math.min(Math.max(1, view.page), pages);
    const first = (view.page - 1) * PAGE_ROWS;
    const page = rows.slice(first, first + PAGE_ROWS);
    $('page-note').textContent = rows.length ? `rows ${first + 1}–${first + page.length} of ${rows.length}` : 'no rows';
    $('prev-page').disabled = view.page <= 1;
    $('next-page').disabled = view.page >= pages;
    $('pager').hidden = pages <= 1;
    const selected = new Set(selectedRuns());
    const body = document.querySelector('#runs tbody');
    body.textContent = '';
    for (const run of page) {
      const tr = document.createElement('tr');
      tr.dataset.run = run.id;
      if (selected.has(run.id)) tr.classList.add('selected');
      for (const c of cols) {
        const td = document.createElement('td');
        const v = cell(run, c.key);
        if (c.key === 'id') {
          // The run's own page: its config, environment, status, tags and notes.
          const link = document.createElement('a');
          link.href = '#';
          link.className = 'run-link';
          link.textContent = String(v);
          link.title = `run ${v}: config, environment, curves`;
          link.addEventListener('click', (event) => {
            event.preventDefault();
            event.stopPropagation();
            openRun(run.id);
          });
          td.appendChild(link);
        } else {
          td.textContent = formatNumber(v);
        }
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
      // The server sends one array per run under named columns (smaller and faster to
      // build than objects); the page reads them as objects.
      runsData.runs = runsData.rows.map((row) => Object.fromEntries(runsData.columns.map((c, i) => [c, row[i]])));
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
    drawScatter();
    return true;
  }

  // --- the chart ----------------------------------------------------------------------

  // A curve's points: x is its step, or its position in epochs when the server sent one.
  function points(steps, values, xs) {
    const out = [];
    for (let i = 0; i < steps.length; ++i) {
      const x = xs ? xs[i] : steps[i], y = values[i];
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
               run: c.run, data: points(c.steps, c.values, c.x), borderColor: color, backgroundColor: color,
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
        sets.push({ label: g.label + ' lower', role: 'lower', group: g.label, data: points(g.steps, lower, g.x),
                    borderWidth: 0, pointRadius: 0, fill: false, borderColor: alpha(color, 0) });
        sets.push({ label: g.label + ' upper', role: 'upper', group: g.label, data: points(g.steps, upper, g.x),
                    borderWidth: 0, pointRadius: 0, fill: '-1', borderColor: alpha(color, 0),
                    backgroundColor: alpha(color, 0.18) });
      }
      sets.push({ label: `${g.label} (N=${g.runs.length})`, role: 'mean', group: g.label, runs: g.runs,
                  data: points(g.steps, g.mean, g.x), borderColor: color, backgroundColor: color, borderWidth: 2,
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
    const common = { sweep: view.sweep, where: view.where, metric: view.metric, width: chartWidth(),
                     smooth: view.smooth || '', x: view.x === 'epoch' ? 'epoch' : '' };
    try {
      if (view.mode === 'group') {
        const data = await getJSON('/api/groups', { ...common, by: view.by });
        shown = data.groups;
        drawChart(groupDatasets(data.groups), data.axis);
        $('chart-note').textContent = `${data.groups.length} group(s) by ${data.by}; band: ${view.band}` +
          (data.smooth ? `; smoothed (${data.smooth})` : '');
      } else {
        const ids = selectedRuns();
        if (!ids.length) {
          shown = [];
          drawChart([], 'step');
          $('chart-note').textContent = 'no run selected: click rows of the table';
          showError('chart-error', null);
          return;
        }
        const data = await getJSON('/api/curves', { ...common, sweep: '', where: '', runs: ids.join(',') });
        shown = data.curves;
        drawChart(runDatasets(data.curves), data.axis);
        const points = data.curves.reduce((n, c) => n + c.points, 0);
        const sent = data.curves.reduce((n, c) => n + c.steps.length, 0);
        $('chart-note').textContent = `${data.curves.length} run(s); ${sent} of ${points} points drawn` +
          (data.smooth ? `; smoothed (${data.smooth})` : '');
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
    markPoint(id);
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

  // --- the swept parameter against a run's value ----------------------------------------

  const STATUS_COLORS = { finished: '#1f77b4', stopped: '#9e9e9e', paused: '#9e9e9e', running: '#2ca02c',
                          pending: '#bdbdbd', failed: '#d62728', diverged: '#d62728', interrupted: '#ff7f0e' };

  // One point per run of the table: x its value of the grouping key (the learning rate
  // by default), y the metric's last, min or max; coloured by status.
  function drawScatter() {
    if (!runsData) return;
    const key = view.by || 'optimizer.lr';
    const data = [];
    for (const run of runsData.runs) {
      const x = run.swept[key], y = run[view.summary];
      if (typeof x !== 'number' || y === null || y === undefined) continue;
      if ((view.slogx && x <= 0) || (view.logy && y <= 0)) continue;
      data.push({ x, y, run: run.id, status: run.status });
    }
    $('scatter-title').textContent = data.length
      ? `${view.metric} ${view.summary} against ${key}: ${data.length} run(s)`
      : `${key} is not a swept number of these runs: no scatter`;
    const config = {
      type: 'scatter',
      data: { datasets: [{ label: 'runs', data, pointRadius: data.map(() => 4), pointHoverRadius: 7,
                           backgroundColor: data.map((p) => STATUS_COLORS[p.status] || '#1f77b4') }] },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { x: axis(view.slogx, key), y: axis(view.logy, `${view.metric} (${view.summary})`) },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => `run ${item.raw.run} (${item.raw.status}): ${key} = ` +
                                                   `${formatNumber(item.raw.x)}, ${formatNumber(item.raw.y)}` } },
        },
        onHover: (event, elements) => markRow(elements.length ? data[elements[0].index].run : null),
        onClick: (event, elements) => { if (elements.length) toggleRun(data[elements[0].index].run); },
      },
    };
    if (scatter) scatter.destroy();
    scatter = new Chart($('scatter'), config);
  }

  function markPoint(id) {
    if (!scatter) return;
    const set = scatter.data.datasets[0];
    set.pointRadius = set.data.map((p) => (p.run === id ? 8 : 4));
    scatter.update('none');
  }

  // --- one run's page -----------------------------------------------------------------

  function sectionTable(section) {
    const table = document.createElement('table');
    table.className = 'run-section';
    const caption = document.createElement('caption');
    caption.textContent = section.title;
    table.appendChild(caption);
    const head = document.createElement('tr');
    for (const c of section.columns) {
      const th = document.createElement('th');
      th.textContent = c;
      head.appendChild(th);
    }
    table.appendChild(head);
    for (const row of section.rows) {
      const tr = document.createElement('tr');
      for (const c of section.columns) {
        const td = document.createElement('td');
        td.textContent = formatNumber(row[c]);
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    return table;
  }

  async function showRun() {
    const id = Number(view.run);
    $('run-page').hidden = false;
    document.querySelector('main').hidden = true;
    $('run-title').textContent = `run ${id}`;
    const tables = $('run-tables');
    tables.textContent = '';
    try {
      const data = await getJSON('/api/run', { id });
      for (const section of data.sections) tables.appendChild(sectionTable(section));
      const config = document.createElement('pre');
      config.className = 'config';
      config.textContent = JSON.stringify(data.config, null, 2);
      const title = document.createElement('h3');
      title.textContent = 'config';
      tables.append(title, config);
      const curves = await getJSON('/api/curves', { runs: id, metric: view.metric, width: chartWidth(),
                                                     smooth: view.smooth || '' });
      if (runChart) runChart.destroy();
      runChart = new Chart($('run-chart'), {
        type: 'line',
        data: { datasets: runDatasets(curves.curves) },
        options: { animation: false, maintainAspectRatio: false,
                   scales: { x: axis(view.logx, curves.axis), y: axis(view.logy, view.metric) } },
      });
    } catch (error) {
      tables.textContent = (error && error.error) || String(error);
    }
  }

  function openRun(id) {
    view.run = String(id);
    writeHash();
    showRun();
  }

  function closeRun() {
    view.run = '';
    writeHash();
    $('run-page').hidden = true;
    document.querySelector('main').hidden = false;
    loadChart();
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
    if (view.mode === 'runs' && chart && !view.smooth && view.x === 'step') {
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
    $('x').value = view.x;
    $('smooth').value = String(view.smooth);
    $('smooth-value').textContent = String(view.smooth);
    $('summary').value = view.summary;
    $('scatter-logx').checked = view.slogx;
    $('logy').checked = view.logy;
    $('by').disabled = $('band').disabled = view.mode !== 'group';
  }

  async function start() {
    readHash();
    syncControls();
    await loadSweeps();
    if (view.sweep) $('sweep').value = view.sweep;
    await loadRuns();
    if (view.run) await showRun();
    else await loadChart();
    writeHash();
    await poll();

    $('sweep').addEventListener('change', async () => {
      view.sweep = $('sweep').value;
      view.runs = '';
      view.page = 1;
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
      view.page = 1;
      writeHash();
      if (await loadRuns()) await loadChart();
    });
    for (const id of ['mode', 'band', 'logx', 'logy', 'x']) {
      $(id).addEventListener('change', () => {
        view[id] = $(id).type === 'checkbox' ? $(id).checked : $(id).value;
        syncControls();
        writeHash();
        loadChart();
        if (id === 'logy') drawScatter();
      });
    }
    // The slider's value shows while it moves; the curves are fetched when it is let go.
    $('smooth').addEventListener('input', () => { $('smooth-value').textContent = $('smooth').value; });
    $('smooth').addEventListener('change', () => {
      view.smooth = Number($('smooth').value);
      writeHash();
      loadChart();
    });
    $('summary').addEventListener('change', () => {
      view.summary = $('summary').value;
      writeHash();
      drawScatter();
    });
    $('scatter-logx').addEventListener('change', () => {
      view.slogx = $('scatter-logx').checked;
      writeHash();
      drawScatter();
    });
    for (const [id, delta] of [['prev-page', -1], ['next-page', 1]]) {
      $(id).addEventListener('click', () => {
        view.page += delta;
        writeHash();
        renderTable();
      });
    }
    $('run-back').addEventListener('click', (event) => {
      event.preventDefault();
      closeRun();
    });
    $('by').addEventListener('change', () => {
      view.by = $('by').value.trim() || 'optimizer.lr';
      writeHash();
      loadChart();
      drawScatter();
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
