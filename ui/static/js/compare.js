// Compare two or more runs: overview, parameters and scalar metrics side
// by side (rows that differ are highlighted), classification metrics
// overlaid, HTML/Markdown artifacts next to each other.
import { h, api, header, stateBadge, fmtTime, fmtDuration, duration, TERMINAL, fmtValue, empty, fetchAll } from './lib.js';
import { fmtNum, confusionMatrix, rocChart, artifactView } from './viewers.js';
import { runTotals, fmtCPU, fmtBytes } from './timeline.js';

export async function comparePage(ctx) {
  const ids = (ctx.q.get('runs') || '').split(',').map((x) => x.trim()).filter(Boolean);
  const picker = await runPicker(ctx, ids);
  if (ids.length < 2) {
    return h('section.page', header('Compare runs'), empty('Choose runs to compare', 'Pick two or more runs, or select them in the run list and press Compare.'), picker);
  }
  const runs = await Promise.all(ids.map((id) => api('/runs/' + id, { signal: ctx.signal })));
  const tasks = await Promise.all(ids.map((id) => api(`/apis/sluice/v1/runs/${id}/tasks`, { signal: ctx.signal }).then((r) => r.tasks).catch(() => [])));
  const totals = tasks.map((ts) => runTotals(ts));
  const cols = runs.map((r) => h('th', h('a', { href: '/runs/' + r.run_id }, r.display_name || r.run_id)));

  // Parameters.
  const pnames = [...new Set(runs.flatMap((r) => Object.keys(r.runtime_config?.parameters || {})))].sort();
  const paramRows = pnames.map((n) => row(n, runs.map((r) => r.runtime_config?.parameters?.[n]), fmtValue));

  // Metrics: every system.Metrics artifact's scalars, keyed "task › name".
  const metrics = tasks.map((ts) => {
    const m = new Map();
    for (const t of ts) {
      for (const [name, list] of Object.entries(t.outputs?.artifacts || {})) {
        for (const a of list || []) {
          const type = a.type?.schemaTitle;
          if (type !== 'system.Metrics') continue;
          for (const [k, v] of Object.entries(a.metadata || {})) {
            if (k === 'display_name' || k.startsWith('_')) continue;
            m.set(`${t.display_name || t.key} › ${k}`, v);
          }
        }
      }
    }
    return m;
  });
  const mnames = [...new Set(metrics.flatMap((m) => [...m.keys()]))].sort();
  const metricRows = mnames.map((n) => row(n, metrics.map((m) => m.get(n)), (v) => (typeof v === 'number' ? fmtNum(v) : fmtValue(v)), true));

  // Classification metrics and rendered artifacts, per run.
  const visuals = (type) => tasks.map((ts, i) => ts.flatMap((t) => Object.entries(t.outputs?.artifacts || {}).flatMap(([name, list]) =>
    (list || []).filter((a) => a.type?.schemaTitle === type).map((a) => ({ run: runs[i], task: t, name, a })))));
  const cls = visuals('system.ClassificationMetrics');
  const rocs = cls.flatMap((list) => list.filter((x) => x.a.metadata?.confidenceMetrics?.length).map((x) => ({ name: `${x.run.display_name} · ${x.task.display_name}`, points: x.a.metadata.confidenceMetrics })));
  const docs = [...visuals('system.HTML'), ...visuals('system.Markdown')];

  const overview = h('table.table.compare', h('thead', h('tr', h('th', ''), cols)), h('tbody',
    h('tr', h('th', 'Status'), runs.map((r) => h('td', stateBadge(r.state)))),
    h('tr', h('th', 'Started'), runs.map((r) => h('td', fmtTime(r.created_at)))),
    h('tr', h('th', 'Duration'), runs.map((r) => h('td', fmtDuration(duration(r.created_at, TERMINAL.has(r.state) ? r.finished_at : null))))),
    h('tr', h('th', 'Pipeline version'), runs.map((r) => h('td.mono.small', r.pipeline_version_reference?.pipeline_version_id?.slice(0, 8) || 'inline'))),
    // Run totals of what the steps used (cached steps ran nothing).
    h('tr.totals', h('th', 'CPU time (all steps)'), totals.map((x) => h('td.mono', x.measured ? fmtCPU(x.cpuSeconds) : h('span.muted', '—')))),
    h('tr.totals', h('th', 'Largest peak memory'), totals.map((x) => h('td.mono', x.measured ? fmtBytes(x.peakMemoryBytes) : h('span.muted', '—')))),
    h('tr.totals', h('th', 'Steps measured'), totals.map((x) => h('td.mono', String(x.measured)))),
  ));
  const differing = h('input', { type: 'checkbox', onchange: (e) => page.classList.toggle('only-diff', e.target.checked) });
  const page = h('section.page.compare-page',
    header('Compare runs', `${runs.length} runs`, [h('label.inline', differing, ' Only rows that differ')]),
    picker,
    h('h3', 'Overview'), overview,
    h('h3', 'Parameters'), paramRows.length ? h('table.table.compare', h('thead', h('tr', h('th', 'Parameter'), cols.map((c) => c.cloneNode(true)))), h('tbody', paramRows)) : h('p.muted', 'None of these runs has parameters.'),
    h('h3', 'Metrics'), metricRows.length ? h('table.table.compare', h('thead', h('tr', h('th', 'Metric'), cols.map((c) => c.cloneNode(true)))), h('tbody', metricRows)) : h('p.muted', 'No scalar metrics (system.Metrics artifacts) in these runs.'),
    rocs.length || cls.some((l) => l.length) ? [h('h3', 'Classification'), h('div.visuals', rocs.length ? rocChart(rocs) : null,
      cls.flatMap((list) => list.filter((x) => x.a.metadata?.confusionMatrix).map((x) => h('div.visual', h('div.visual-title', `${x.run.display_name} · ${x.task.display_name}`), confusionMatrix(x.a.metadata.confusionMatrix)))))] : null,
    docs.some((l) => l.length) ? [h('h3', 'Reports'), h('div.visuals', docs.flat().map((x) => h('div.visual.wide', h('div.visual-title', `${x.run.display_name} · ${x.task.display_name}`), artifactView(x.name, x.a))))] : null);
  // Open the report previews.
  for (const b of page.querySelectorAll('.visuals .artifact .art-actions button:first-child')) if (b.textContent === 'Preview') b.click();
  return page;
}

// row is one compared row; it is marked when the values differ.
function row(name, values, fmt, numeric) {
  const shown = values.map((v) => (v === undefined ? '' : fmt(v)));
  const differ = new Set(shown).size > 1;
  let best = -1;
  if (numeric && differ) {
    const nums = values.map((v) => (typeof v === 'number' ? v : NaN));
    if (nums.every((n) => !isNaN(n))) best = nums.indexOf(Math.max(...nums));
  }
  return h('tr', { class: differ ? 'differ' : 'same' }, h('th.mono', name), shown.map((v, i) => h('td.mono', { class: i === best ? 'best' : '' }, v === '' ? h('span.muted', '—') : v)));
}

// runPicker adds runs to the comparison.
async function runPicker(ctx, ids) {
  const recent = await fetchAll('/runs', 'runs', 200, { sort_by: 'created_at desc', page_size: '100' }).catch(() => []);
  const sel = h('select', { 'aria-label': 'Add a run' }, h('option', { value: '' }, 'Add a run…'),
    recent.filter((r) => !ids.includes(r.run_id)).map((r) => h('option', { value: r.run_id }, `${r.display_name} · ${r.state} · ${fmtTime(r.created_at)}`)));
  sel.addEventListener('change', () => { if (sel.value) ctx.navigate('/compare?runs=' + [...ids, sel.value].join(',')); });
  return h('div.toolbar', sel, ids.map((id) => h('span.chip', id.slice(0, 8), h('button.link', { 'aria-label': 'Remove ' + id, onclick: () => ctx.navigate('/compare?runs=' + ids.filter((x) => x !== id).join(',')) }, '×'))));
}
