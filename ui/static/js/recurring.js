// Recurring runs: list, create (cron or interval), enable/disable, delete,
// and a recurring run's page with its trigger and the runs it started.
import { h, api, header, listTable, fmtTime, field, toast, specOf, filterJSON, busy, confirmDialog } from './lib.js';
import { loadNames, runColumns, paramFields } from './runs.js';

function trigger(r) {
  const c = r.trigger?.cron_schedule, p = r.trigger?.periodic_schedule;
  if (c) return h('span.mono', c.cron);
  if (p) return 'every ' + everyText(Number(p.interval_second));
  return '';
}

function everyText(s) {
  if (!s) return '';
  if (s % 86400 === 0) return s / 86400 + ' d';
  if (s % 3600 === 0) return s / 3600 + ' h';
  if (s % 60 === 0) return s / 60 + ' min';
  return s + ' s';
}

function toggle(r, after) {
  const on = r.status === 'ENABLED';
  return h('button.small', { onclick: async (ev) => {
    if (!await busy(ev.currentTarget, () => api(`/recurringruns/${r.recurring_run_id}:${on ? 'disable' : 'enable'}`, { method: 'POST' }))) return;
    toast(on ? 'Disabled' : 'Enabled');
    after();
  } }, on ? 'Disable' : 'Enable');
}

export function recurringColumns(after) {
  return [
    { label: 'Name', sort: 'display_name', cell: (r) => h('a.strong', { href: '/recurring/' + r.recurring_run_id }, r.display_name) },
    { label: 'Status', cell: (r) => h('span.badge', { class: r.status === 'ENABLED' ? 'st-SUCCEEDED' : 'st-SKIPPED' }, h('span.dot'), r.status === 'ENABLED' ? 'Enabled' : 'Disabled') },
    { label: 'Trigger', cell: trigger },
    { label: 'Max concurrent', cls: 'num', cell: (r) => r.max_concurrency || '1' },
    { label: 'Created', sort: 'created_at', desc: true, cls: 'nowrap', cell: (r) => fmtTime(r.created_at) },
    { label: '', cls: 'right', cell: (r) => toggle(r, after) },
  ];
}

export function recurringList(ctx) {
  const table = listTable({ path: '/recurringruns', key: 'recurringRuns', signal: ctx.signal, sort: 'created_at desc', columns: recurringColumns(() => table.refresh()), emptyText: 'No recurring runs. Create one to run a pipeline on a schedule.' });
  return h('section.page', header('Recurring runs', 'Pipelines run on a schedule (cron or a fixed interval).', [h('a.button.primary', { href: '/recurring/new' }, 'Create recurring run')]), table);
}

export async function newRecurring(ctx) {
  const n = await loadNames(true);
  let pid = ctx.q.get('pipeline') || '', vid = '';
  let spec = null, fields = null;
  const pipelineSel = h('select', { name: 'pipeline' }, h('option', { value: '' }, 'Choose a pipeline…'), n.pipelines.map((p) => h('option', { value: p.pipeline_id, selected: p.pipeline_id === pid }, p.display_name || p.name)));
  const versionSel = h('select', { name: 'version' });
  const name = h('input', { name: 'display_name', required: true, autocomplete: 'off' });
  const expSel = h('select', { name: 'experiment' }, h('option', { value: '' }, 'Default'), n.experiments.map((e) => h('option', { value: e.experiment_id, selected: e.experiment_id === ctx.q.get('experiment') }, e.display_name)));
  const kind = h('select', { name: 'kind' }, h('option', { value: 'periodic' }, 'Every…'), h('option', { value: 'cron' }, 'Cron expression'));
  const every = h('input', { name: 'every', type: 'number', min: '1', value: '1' });
  const unit = h('select', { name: 'unit' }, [['60', 'minutes'], ['3600', 'hours'], ['86400', 'days']].map(([v, l]) => h('option', { value: v, selected: v === '3600' }, l)));
  const cron = h('input', { name: 'cron', placeholder: '0 0 9 ? * 2-6', autocomplete: 'off' });
  const maxc = h('input', { name: 'max_concurrency', type: 'number', min: '1', max: '10', value: '1' });
  const catchup = h('input', { type: 'checkbox', checked: true });
  const periodicRow = h('div.inline-fields', every, unit);
  const cronRow = field('Cron', cron, '6 fields with seconds first (as the KFP SDK documents), 5 fields, or @hourly / @every 90m');
  const syncKind = () => { periodicRow.hidden = kind.value !== 'periodic'; cronRow.hidden = kind.value !== 'cron'; };
  kind.addEventListener('change', syncKind);
  syncKind();
  const paramsBox = h('div');
  const errBox = h('div.form-error', { role: 'alert' });
  const loadVersion = async () => {
    spec = null;
    paramsBox.replaceChildren();
    if (!pid || !vid) return;
    spec = (await api(`/pipelines/${pid}/versions/${vid}`)).pipeline_spec;
    fields = paramFields(specOf(spec));
    paramsBox.replaceChildren(fields.el);
  };
  const loadVersions = async () => {
    versionSel.replaceChildren();
    if (!pid) return loadVersion();
    const vs = (await api(`/pipelines/${pid}/versions?page_size=200&sort_by=created_at%20desc`)).pipeline_versions || [];
    vid = vs[0]?.pipeline_version_id || '';
    for (const v of vs) versionSel.append(h('option', { value: v.pipeline_version_id }, v.display_name || v.name));
    await loadVersion();
  };
  pipelineSel.addEventListener('change', () => { pid = pipelineSel.value; loadVersions(); });
  versionSel.addEventListener('change', () => { vid = versionSel.value; loadVersion(); });
  const form = h('form.run-form', { novalidate: true },
    h('div.form-grid', field('Pipeline', pipelineSel), field('Version', versionSel), field('Name', name), field('Experiment', expSel),
      field('Trigger', kind), h('div', periodicRow, cronRow), field('Max concurrent runs', maxc),
      h('label.field.check', catchup, h('span', 'Catch up', h('span.hint', ' — after downtime, start every missed run (otherwise only the latest)')))),
    h('h3', 'Parameters'), paramsBox, errBox,
    h('div.form-buttons', h('a.button', { href: '/recurring' }, 'Cancel'), h('button.primary', { type: 'submit' }, 'Create')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errBox.textContent = '';
    try {
      if (!spec) throw new Error('Choose a pipeline.');
      if (!name.value.trim()) throw new Error('Give the recurring run a name.');
      const trig = kind.value === 'cron'
        ? { cron_schedule: { cron: cron.value.trim() } }
        : { periodic_schedule: { interval_second: String(Math.round(Number(every.value) * Number(unit.value))) } };
      const r = await api('/recurringruns', { method: 'POST', body: {
        display_name: name.value.trim(), experiment_id: expSel.value || undefined, mode: 'ENABLE',
        pipeline_version_reference: { pipeline_id: pid, pipeline_version_id: vid },
        runtime_config: { parameters: fields.values() }, trigger: trig,
        max_concurrency: String(maxc.value || 1), no_catchup: !catchup.checked,
      } });
      ctx.navigate('/recurring/' + r.recurring_run_id);
    } catch (x) { errBox.textContent = x.message; }
  });
  await loadVersions();
  return h('section.page.narrow', header('Create recurring run'), form);
}

export async function recurringPage(ctx) {
  const id = ctx.params[0];
  const r = await api('/recurringruns/' + id, { signal: ctx.signal });
  const n = await loadNames();
  const ref = r.pipeline_version_reference;
  const runs = listTable({
    path: '/runs', key: 'runs', signal: ctx.signal, sort: 'created_at desc',
    query: () => ({ filter: filterJSON([{ key: 'recurring_run_id', operation: 'EQUALS', string_value: id }]) }),
    columns: runColumns(n), emptyText: 'This recurring run has not started any run yet.',
  });
  const params = Object.entries(r.runtime_config?.parameters || {});
  return h('section.page',
    header(r.display_name, r.description, [toggle(r, () => ctx.navigate(location.pathname, true)),
      h('button.danger', { onclick: async (ev) => {
        const b = ev.currentTarget;
        b.disabled = true;
        const ok = await confirmDialog('Delete recurring run', h('p', `Delete the recurring run "${r.display_name}"? Runs it started stay.`), 'Delete recurring run',
          () => api('/recurringruns/' + id, { method: 'DELETE' }));
        b.disabled = false;
        if (!ok) return;
        toast(`Deleted the recurring run "${r.display_name}"`);
        ctx.navigate('/recurring');
      } }, 'Delete')]),
    h('table.table.kv', h('tbody',
      h('tr', h('th', 'Status'), h('td', r.status === 'ENABLED' ? 'Enabled' : 'Disabled')),
      h('tr', h('th', 'Trigger'), h('td', trigger(r))),
      h('tr', h('th', 'Max concurrent runs'), h('td', r.max_concurrency || '1')),
      h('tr', h('th', 'Catch up'), h('td', r.no_catchup ? 'no: only the latest missed run' : 'yes: every missed run')),
      ref ? h('tr', h('th', 'Pipeline'), h('td', h('a', { href: `/pipelines/${ref.pipeline_id}` + (ref.pipeline_version_id ? '/versions/' + ref.pipeline_version_id : '') }, n.pipeline.get(ref.pipeline_id) || ref.pipeline_id))) : null,
      r.experiment_id ? h('tr', h('th', 'Experiment'), h('td', h('a', { href: '/experiments/' + r.experiment_id }, n.experiment.get(r.experiment_id) || r.experiment_id))) : null,
      params.length ? h('tr', h('th', 'Parameters'), h('td.mono', params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('  '))) : null,
      h('tr', h('th', 'Created'), h('td', fmtTime(r.created_at))))),
    h('h3', 'Runs started'), runs);
}
