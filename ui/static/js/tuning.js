// Tuning: the list of hyperparameter-tuning experiments, and an
// experiment's page: its condition and budget, the best trial (linking to
// its run), what the step cache saved, the objective per trial with the
// best-so-far line, a parallel-coordinates plot of the parameters against
// the objective, and the sortable trials table; live while it runs.
import { h, s, api, header, listTable, filterJSON, debounce, fmtTime, fmtDuration, duration, dialog, field, toast, busy, confirmDialog, stream, shortID } from './lib.js';

const T = '/apis/sluice/v1/tuning/experiments';

// Katib's conditions and trial states, drawn with the run states' colours.
const CONDITION_CLASS = { Succeeded: 'SUCCEEDED', Failed: 'FAILED', Running: 'RUNNING', Restarting: 'RUNNING', Created: 'PENDING' };
const TRIAL_CLASS = {
  Succeeded: 'SUCCEEDED', Failed: 'FAILED', MetricsUnavailable: 'FAILED', EarlyStopped: 'CANCELED', Killed: 'CANCELED',
  Running: 'RUNNING', Created: 'PENDING',
};
const ACTIVE = new Set(['Created', 'Running']);

function badge(cls, text, title) {
  return h('span.badge', { class: 'st-' + cls, title: title || text }, h('span.dot'), text);
}

const conditionBadge = (x) => badge(CONDITION_CLASS[x.condition] || 'PENDING', x.condition || 'Created', x.message || x.reason);
const trialBadge = (t) => badge(TRIAL_CLASS[t.state] || 'PENDING', t.state === 'MetricsUnavailable' ? 'No metrics' : t.state === 'EarlyStopped' ? 'Stopped early' : t.state, t.message || t.reason);

// fmtNum shows a metric or parameter value with at most 6 significant digits.
export function fmtNum(v) {
  if (v == null || v === '') return '';
  const n = typeof v === 'number' ? v : Number(v);
  if (!isFinite(n)) return String(v);
  if (Number.isInteger(n) && Math.abs(n) < 1e9) return String(n);
  return Number(n.toPrecision(6)).toString();
}

const objectiveOf = (x) => x.spec?.spec?.objective || {};

export function tuningList(ctx) {
  const search = h('input.search', { type: 'search', placeholder: 'Filter experiments by name', 'aria-label': 'Filter tuning experiments by name' });
  const table = listTable({
    path: T, key: 'experiments', signal: ctx.signal, sort: 'created_at desc',
    id: (x) => x.id,
    query: () => ({ filter: filterJSON([search.value.trim() && { key: 'name', operation: 'IS_SUBSTRING', string_value: search.value.trim() }]) }),
    columns: [
      { label: 'Name', sort: 'name', cell: (x) => h('a.strong', { href: '/tuning/' + x.id }, x.name) },
      { label: 'Condition', cell: (x) => conditionBadge(x) },
      { label: 'Trials', cls: 'num', cell: (x) => trialCount(x) },
      { label: 'Best', cls: 'nowrap', cell: (x) => bestCell(x) },
      { label: 'Algorithm', cls: 'muted', cell: (x) => x.spec?.spec?.algorithm?.algorithmName || '' },
      { label: 'Created', sort: 'created_at', desc: true, cls: 'nowrap', cell: (x) => fmtTime(x.created_at) },
    ],
    emptyText: 'No tuning experiments yet. Start one with `sluice tune submit EXPERIMENT.yaml`, or New experiment.',
  });
  search.addEventListener('input', debounce(() => table.reload(), 250));
  // Experiments in progress refresh themselves.
  const tick = setInterval(() => {
    if (ctx.signal.aborted) return clearInterval(tick);
    if (table.querySelector('.st-RUNNING, .st-PENDING')) table.refresh();
  }, 3000);
  return h('section.page',
    header('Tuning', 'Hyperparameter-tuning experiments: each trial is a run of a pipeline with values chosen by a search algorithm.',
      [h('button.primary', { onclick: () => newExperiment(ctx) }, 'New experiment')]),
    h('div.toolbar', search), table);
}

function trialCount(x) {
  const st = x.status || {};
  const max = x.spec?.spec?.maxTrialCount;
  return `${st.trials || 0}${max ? ' / ' + max : ''}`;
}

function bestCell(x) {
  const b = x.best_trial;
  if (!b || b.objective == null) return h('span.muted', 'none yet');
  return h('span', h('span.mono', `${objectiveOf(x).objectiveMetricName} = ${fmtNum(b.objective)}`));
}

const SAMPLE = `apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata:
  name: my-experiment
spec:
  objective: {type: maximize, objectiveMetricName: r2}
  algorithm: {algorithmName: tpe}
  parallelTrialCount: 3
  maxTrialCount: 12
  parameters:
    - {name: l2, parameterType: double, feasibleSpace: {min: "0.001", max: "1000", distribution: logUniform}}
  trialTemplate:
    pipeline: {name: realworld}
`;

function newExperiment(ctx) {
  const text = h('textarea', { name: 'experiment', rows: 18, spellcheck: false, 'aria-label': 'Experiment YAML' }, SAMPLE);
  const d = dialog('New tuning experiment', [
    h('p.muted', 'A Katib Experiment (kubeflow.org/v1beta1) whose trialTemplate.pipeline names a pipeline on this server: {name: PIPELINE, version: VERSION}.'),
    field('Experiment', text),
  ], [h('button.primary', { type: 'submit' }, 'Create')], async () => {
    const x = await api(T, { method: 'POST', body: { experiment: text.value } });
    ctx.navigate('/tuning/' + x.id);
  });
  d.classList.add('wide');
  d.showModal();
  text.focus();
}

export async function tuningPage(ctx) {
  const id = ctx.params[0];
  const [first, trialList] = await Promise.all([api(`${T}/${id}`, { signal: ctx.signal }), api(`${T}/${id}/trials`, { signal: ctx.signal })]);
  let x = first;
  const trials = new Map(trialList.trials.map((t) => [t.name, t]));
  const spec = x.spec?.spec || {};
  const obj = spec.objective || {};
  const maximize = obj.type === 'maximize';
  const params = spec.parameters || [];
  const extra = (obj.additionalMetricNames || []).filter((m) => m !== obj.objectiveMetricName);
  const sortState = { key: 'created', desc: false };

  const head = h('div');
  const summary = h('div.tuning-summary');
  const objChart = h('div.visual.wide', { 'aria-label': 'Objective by trial' });
  const pcChart = h('div.visual.wide', { 'aria-label': 'Parameters against the objective' });
  const table = h('div.trials');

  const renderHead = () => {
    const done = x.condition === 'Succeeded' || x.condition === 'Failed';
    const actions = [];
    if (!done) {
      actions.push(h('button', { onclick: (ev) => confirmDialog('Cancel the experiment?', [h('p', `${x.name} ends Failed (ExperimentCanceled); its running trials are killed (their runs canceled).`)],
        'Cancel experiment', async () => { await api(`${T}/${id}:cancel`, { method: 'POST' }); toast('Canceling'); }) }, 'Cancel'));
    }
    actions.push(h('button.danger', { onclick: () => confirmDialog('Delete the experiment?', [h('p', `${x.name}, its ${trials.size} trials and their runs go. Runs that have not ended are stopped first.`)],
      'Delete', async () => { await api(`${T}/${id}`, { method: 'DELETE' }); toast('Deleted'); ctx.navigate('/tuning'); }) }, 'Delete'));
    const sub = [x.reason ? `${x.reason}: ${x.message}` : '', `created ${fmtTime(x.created_at)}`,
      x.completed_at ? `took ${fmtDuration(duration(x.created_at, x.completed_at))}` : ''].filter(Boolean).join(' · ');
    head.replaceChildren(header(h('span', x.name, ' ', conditionBadge(x)), sub, actions));
  };

  const renderSummary = () => {
    const st = x.status || {};
    const max = spec.maxTrialCount;
    const completed = (st.trials || 0) - (st.trialsRunning || 0) - (st.trialsPending || 0);
    const pct = max ? Math.min(100, Math.round((100 * completed) / max)) : 0;
    const counts = [['succeeded', st.trialsSucceeded], ['running', st.trialsRunning], ['pending', st.trialsPending], ['failed', st.trialsFailed],
      ['without metrics', st.trialMetricsUnavailable], ['stopped early', st.trialsEarlyStopped], ['killed', st.trialsKilled]]
      .filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ');
    const b = x.best_trial;
    const cache = x.cache;
    summary.replaceChildren(
      card('Objective', h('div.strong', `${obj.type || ''} ${obj.objectiveMetricName || ''}`),
        obj.goal != null ? h('div.muted.small', `goal ${fmtNum(obj.goal)}`) : null,
        extra.length ? h('div.muted.small', 'also ' + extra.join(', ')) : null),
      card('Algorithm', h('div.strong', spec.algorithm?.algorithmName || ''),
        (spec.algorithm?.algorithmSettings || []).length ? h('div.muted.small', spec.algorithm.algorithmSettings.map((a) => `${a.name}=${a.value}`).join(' ')) : null,
        spec.earlyStopping ? h('div.muted.small', 'early stopping: ' + spec.earlyStopping.algorithmName) : null),
      card('Trials', h('div.strong', `${completed} of ${max || '∞'} done`),
        max ? h('div.progress', { role: 'progressbar', 'aria-valuenow': pct, 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('span', { style: { width: pct + '%' } })) : null,
        h('div.muted.small', counts || 'none yet', ` · ${spec.parallelTrialCount || 3} at a time`)),
      card('Best trial', b && b.objective != null
        ? [h('div.strong.best-value', `${obj.objectiveMetricName} = ${fmtNum(b.objective)}`),
          h('div', Object.entries(b.parameters || {}).map(([k, v]) => h('span.chip', `${k}=${fmtNum(v)}`))),
          h('div.small', b.run_id ? h('a', { href: '/runs/' + b.run_id, class: 'best-run' }, `${b.name} · run ${shortID(b.run_id)}`) : b.name)]
        : h('div.muted', 'No trial has reported the objective yet.')),
      card('Cache', cache && cache.cached_steps
        ? [h('div.strong.cache-saved', `${fmtDuration(cache.saved_seconds * 1000)} saved`),
          h('div.muted.small', `${cache.cached_steps} of ${cache.steps} steps served from the cache`),
          cache.unmeasured_steps ? h('div.muted.small', `(${cache.unmeasured_steps} cached before this experiment, not counted)`) : null]
        : h('div.muted', 'No step came from the cache yet.')),
    );
  };

  const renderCharts = () => {
    const list = [...trials.values()];
    objChart.replaceChildren(h('div.visual-title', `${obj.objectiveMetricName} by trial`), objectiveChart(list, maximize));
    pcChart.replaceChildren(h('div.visual-title', 'Parameters and metrics'), parallelCoordinates(list, params, extra, obj, maximize));
  };

  const renderTable = () => {
    const cols = [
      { key: 'name', label: 'Trial', get: (t) => t.name, cell: (t) => h('span.mono', t.name) },
      { key: 'state', label: 'State', get: (t) => t.state, cell: (t) => [trialBadge(t), t.message && !ACTIVE.has(t.state) && t.state !== 'Succeeded' ? h('div.muted.small.wrap', t.message) : null] },
      { key: 'objective', label: obj.objectiveMetricName || 'objective', num: true, get: (t) => t.objective, cell: (t) => fmtNum(t.objective) },
      ...params.map((p) => ({ key: 'p:' + p.name, label: p.name, num: p.parameterType !== 'categorical', get: (t) => t.parameters?.[p.name], cell: (t) => fmtNum(t.parameters?.[p.name]) })),
      ...extra.map((m) => ({ key: 'm:' + m, label: m, num: true, get: (t) => metricValue(t, m), cell: (t) => fmtNum(metricValue(t, m)) })),
      { key: 'run', label: 'Run', get: (t) => t.run_id, cell: (t) => t.run_id ? h('a.mono', { href: '/runs/' + t.run_id }, shortID(t.run_id)) : '' },
      { key: 'cached', label: 'Cached steps', num: true, get: (t) => t.cached_steps || 0, cell: (t) => t.cached_steps ? String(t.cached_steps) : '' },
      { key: 'duration', label: 'Duration', num: true, get: (t) => duration(t.started_at || t.created_at, t.completed_at), cell: (t) => fmtDuration(duration(t.started_at || t.created_at, t.completed_at)) },
      { key: 'created', label: 'Created', get: (t) => t.created_at, cell: (t) => fmtTime(t.created_at) },
    ];
    const col = cols.find((c) => c.key === sortState.key) || cols[cols.length - 1];
    const rows = [...trials.values()].sort((a, b) => compare(col.get(a), col.get(b), sortState.desc));
    const best = x.best_trial?.name;
    const headRow = h('tr', cols.map((c) => {
      const active = c.key === sortState.key;
      return h('th', { class: c.num ? 'num' : '', 'aria-sort': active ? (sortState.desc ? 'descending' : 'ascending') : 'none' },
        h('button.sort', { onclick: () => { sortState.desc = active ? !sortState.desc : false; sortState.key = c.key; renderTable(); } },
          c.label, h('span.arrow', active ? (sortState.desc ? ' ↓' : ' ↑') : '')));
    }));
    const body = rows.length
      ? rows.map((t) => h('tr', { dataset: { trial: t.name }, class: t.name === best ? 'current best-row' : '' },
        cols.map((c) => h('td', { class: c.num ? 'num' : '' }, c.cell(t)))))
      : [h('tr', h('td.empty-row', { colSpan: cols.length }, 'No trials yet.'))];
    table.replaceChildren(h('table.table.compact.trials-table', h('thead', headRow), h('tbody', body)));
  };

  const renderAll = () => {
    renderHead();
    renderSummary();
    renderCharts();
    renderTable();
  };
  renderAll();

  // Live: the server pushes the experiment and each trial that changes;
  // redraw once per animation frame.
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (!ctx.signal.aborted) renderAll();
    });
  };
  stream(`${T}/${id}/events`, (ev, data) => {
    if (ev === 'experiment') {
      x = JSON.parse(data);
      schedule();
    } else if (ev === 'trial') {
      const t = JSON.parse(data);
      trials.set(t.name, t);
      schedule();
    }
  }, ctx.signal).catch((e) => toast('Live updates stopped: ' + e.message, 'error'));

  return h('section.page.tuning', head, summary, h('div.visuals', objChart, pcChart), h('h3', 'Trials'), table);
}

function card(title, ...body) {
  return h('div.card', h('h4', title), ...body);
}

function compare(a, b, desc) {
  const na = a == null || a === '', nb = b == null || b === '';
  if (na || nb) return na === nb ? 0 : na ? 1 : -1; // empty values last either way
  let c;
  if (typeof a === 'number' && typeof b === 'number') c = a - b;
  else if (!isNaN(Number(a)) && !isNaN(Number(b)) && typeof a !== 'string') c = Number(a) - Number(b);
  else c = String(a).localeCompare(String(b), undefined, { numeric: true });
  return desc ? -c : c;
}

// metricValue is a metric's latest value in a trial's observation.
function metricValue(t, name) {
  const m = (t.observation?.metrics || []).find((x) => x.name === name);
  if (!m || m.latest === 'unavailable') return null;
  const v = Number(m.latest);
  return isFinite(v) ? v : null;
}

// ---- charts (SVG) ----

const W = 560, H = 260, PAD = { l: 56, r: 16, t: 14, b: 34 };

function linear(lo, hi, a, b) {
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  return (v) => a + ((v - lo) / (hi - lo)) * (b - a);
}

// objectiveChart: each trial's objective in the order trials completed,
// and the best so far as a step line.
function objectiveChart(list, maximize) {
  const done = list.filter((t) => t.objective != null && t.completed_at).sort((a, b) => Date.parse(a.completed_at) - Date.parse(b.completed_at));
  if (!done.length) return h('p.muted.chart-empty', 'The objective appears here as trials report it.');
  const ys = done.map((t) => t.objective);
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const x = linear(1, Math.max(done.length, 2), PAD.l, W - PAD.r);
  const y = linear(lo, hi, H - PAD.b, PAD.t);
  let best = null;
  const steps = [];
  done.forEach((t, i) => {
    if (best == null || (maximize ? t.objective > best : t.objective < best)) best = t.objective;
    const px = x(i + 1), py = y(best);
    if (steps.length) steps.push(`H${px.toFixed(1)}`);
    steps.push(`${steps.length ? 'V' : 'M' + px.toFixed(1) + ' '}${py.toFixed(1)}`);
  });
  const ticks = [lo, (lo + hi) / 2, hi];
  return s('svg', { class: 'chart obj-chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'objective by trial with the best so far' },
    s('rect', { class: 'plot-bg', x: PAD.l, y: PAD.t, width: W - PAD.l - PAD.r, height: H - PAD.t - PAD.b }),
    ...ticks.map((v) => s('g', null,
      s('line', { class: 'gridline', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }),
      s('text', { class: 'tick', x: PAD.l - 6, y: y(v) + 3, 'text-anchor': 'end' }, fmtNum(v)))),
    s('text', { class: 'axis', x: (PAD.l + W - PAD.r) / 2, y: H - 8, 'text-anchor': 'middle' }, `trials in the order they ended (${done.length})`),
    s('path', { class: 'best-line', d: steps.join(' ') }),
    ...done.map((t, i) => s('circle', { class: 'pt st-' + (TRIAL_CLASS[t.state] || 'PENDING'), cx: x(i + 1), cy: y(t.objective), r: 4 },
      s('title', null, `${t.name}: ${fmtNum(t.objective)}`))),
  );
}

// axisFor builds one parallel-coordinates axis: a numeric scale (log for
// log distributions) or evenly spaced categories.
function axisFor(dim, values) {
  if (dim.categories) {
    const cats = dim.categories.slice();
    for (const v of values) if (v != null && !cats.includes(String(v))) cats.push(String(v));
    return { ...dim, pos: (v) => (cats.length < 2 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1)), ticks: cats.map((c) => [c, cats.length < 2 ? 0.5 : cats.indexOf(c) / (cats.length - 1)]) };
  }
  const nums = values.filter((v) => v != null && isFinite(v)).map(Number);
  let lo = dim.min ?? Math.min(...nums), hi = dim.max ?? Math.max(...nums);
  if (!nums.length && dim.min == null) { lo = 0; hi = 1; }
  lo = Math.min(lo, ...nums);
  hi = Math.max(hi, ...nums);
  const log = dim.log && lo > 0;
  const f = log ? Math.log : (v) => v;
  const a = f(lo), b = f(hi);
  const pos = (v) => (b > a ? (f(v) - a) / (b - a) : 0.5);
  return { ...dim, log, pos, ticks: [[fmtNum(lo), pos(lo)], [fmtNum(hi), pos(hi)]] };
}

// parallelCoordinates: one axis per parameter, then the additional
// metrics, then the objective; one line per trial, coloured by its
// objective (best green, worst red, direction-aware); trials without an
// objective drawn dashed in grey.
function parallelCoordinates(list, params, extra, obj, maximize) {
  if (!list.length) return h('p.muted.chart-empty', 'Each trial becomes a line here.');
  const dims = [
    ...params.map((p) => {
      const fs = p.feasibleSpace || {};
      const cat = p.parameterType === 'categorical';
      return {
        name: p.name, get: (t) => t.parameters?.[p.name],
        categories: cat ? (fs.list || []) : null,
        min: !cat && fs.min != null ? Number(fs.min) : null, max: !cat && fs.max != null ? Number(fs.max) : null,
        log: fs.distribution === 'logUniform' || fs.distribution === 'logNormal',
      };
    }),
    ...extra.map((m) => ({ name: m, get: (t) => metricValue(t, m) })),
    { name: obj.objectiveMetricName || 'objective', get: (t) => t.objective, objective: true },
  ];
  const axes = dims.map((d) => axisFor(d, list.map(d.get)));
  const n = axes.length;
  // Tick labels go right of their axis: leave room after the last one.
  const x = (i) => (n < 2 ? W / 2 : PAD.l + (i * (W - PAD.l - 52)) / (n - 1));
  const y = (p) => H - PAD.b - p * (H - PAD.t - PAD.b);
  const objs = list.map((t) => t.objective).filter((v) => v != null);
  const olo = Math.min(...objs), ohi = Math.max(...objs);
  const colour = (v) => {
    if (v == null) return null;
    let q = ohi > olo ? (v - olo) / (ohi - olo) : 1;
    if (!maximize) q = 1 - q; // q = 1 is the best
    return `color-mix(in srgb, var(--ok) ${Math.round(q * 100)}%, var(--fail))`;
  };
  const lines = list.map((t) => {
    const pts = axes.map((a, i) => {
      const v = a.get(t);
      return v == null ? null : [x(i), y(a.pos(v))];
    });
    const segs = [];
    pts.forEach((p, i) => { if (p) segs.push(`${segs.length ? 'L' : 'M'}${p[0].toFixed(1)} ${p[1].toFixed(1)}`); });
    const c = colour(t.objective);
    return s('path', { class: 'pc-line' + (c ? '' : ' no-objective'), d: segs.join(' '), style: c ? `stroke: ${c}` : null, 'data-trial': t.name },
      s('title', null, `${t.name}: ${axes.map((a) => `${a.name}=${fmtNum(a.get(t))}`).join(', ')}`));
  });
  return s('svg', { class: 'chart pc-chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'parallel coordinates of the parameters against the objective' },
    ...lines,
    ...axes.map((a, i) => s('g', { class: 'pc-axis' + (a.objective ? ' objective' : '') },
      s('line', { x1: x(i), x2: x(i), y1: y(0), y2: y(1) }),
      s('text', { class: 'axis', x: x(i), y: H - 12, 'text-anchor': 'middle' }, a.name + (a.log ? ' (log)' : '')),
      ...a.ticks.map(([label, p]) => s('text', { class: 'tick', x: x(i) + 4, y: y(p) + 3 }, label)))),
  );
}
