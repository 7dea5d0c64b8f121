// Runs: the run list (filters on name, state, pipeline, experiment and
// date; keyset paging, so it stays fast with 100k runs) and the new-run
// form built from the pipeline's typed parameters.
import { h, api, header, listTable, filterJSON, debounce, fmtTime, fmtDuration, duration, stateBadge, field, specOf, rootParams, TYPE_NAMES, fmtValue, fetchAll, toast, TERMINAL, errorBox } from './lib.js';

const STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELING', 'CANCELED', 'SKIPPED'];

// names caches pipeline and experiment names for the lists (one list call
// each, not one call per row).
let names = null;
export function loadNames(force) {
  if (!names || force) {
    names = Promise.all([
      fetchAll('/pipelines', 'pipelines', 2000, { sort_by: 'display_name' }).catch(() => []),
      fetchAll('/experiments', 'experiments', 2000, { sort_by: 'display_name' }).catch(() => []),
    ]).then(([ps, es]) => ({
      pipelines: ps, experiments: es,
      pipeline: new Map(ps.map((p) => [p.pipeline_id, p.display_name || p.name])),
      experiment: new Map(es.map((e) => [e.experiment_id, e.display_name])),
    }));
  }
  return names;
}

// runColumns are the run table's columns (also used by experiment and
// recurring-run pages).
export function runColumns(n, selected, onSelect) {
  const cols = [
    { label: 'Run', sort: 'display_name', cls: 'wrap', cell: (r) => h('a.strong', { href: '/runs/' + r.run_id }, r.display_name || r.run_id) },
    { label: 'Status', sort: 'state', cell: (r) => stateBadge(r.state) },
    { label: 'Duration', cls: 'nowrap num', cell: (r) => fmtDuration(duration(r.created_at, TERMINAL.has(r.state) ? r.finished_at : null)) },
    { label: 'Pipeline', cls: 'wrap', cell: (r) => r.pipeline_version_reference?.pipeline_id
      ? h('a', { href: `/pipelines/${r.pipeline_version_reference.pipeline_id}/versions/${r.pipeline_version_reference.pipeline_version_id}` }, n.pipeline.get(r.pipeline_version_reference.pipeline_id) || 'pipeline')
      : h('span.muted', r.pipeline_spec?.pipelineInfo?.name || specOf(r.pipeline_spec)?.pipelineInfo?.name || 'inline spec') },
    { label: 'Experiment', cls: 'wrap', cell: (r) => r.experiment_id ? h('a', { href: '/experiments/' + r.experiment_id }, n.experiment.get(r.experiment_id) || 'experiment') : '' },
    { label: 'Started', sort: 'created_at', desc: true, cls: 'nowrap', cell: (r) => fmtTime(r.created_at) },
  ];
  if (selected) {
    cols.unshift({ label: '', cls: 'check', cell: (r) => h('input', { type: 'checkbox', 'aria-label': 'Select ' + (r.display_name || r.run_id), checked: selected.has(r.run_id), onchange: (e) => onSelect(r.run_id, e.target.checked) }) });
  }
  return cols;
}

export async function runList(ctx) {
  const q = ctx.q;
  const n = await loadNames(true);
  const search = h('input.search', { type: 'search', placeholder: 'Filter by run name', 'aria-label': 'Filter by run name', value: q.get('q') || '' });
  const state = h('select', { 'aria-label': 'State' }, h('option', { value: '' }, 'Any state'), STATES.map((s) => h('option', { value: s, selected: q.get('state') === s }, s.charAt(0) + s.slice(1).toLowerCase())));
  const pipeline = h('select', { 'aria-label': 'Pipeline' }, h('option', { value: '' }, 'Any pipeline'), n.pipelines.map((p) => h('option', { value: p.pipeline_id, selected: q.get('pipeline') === p.pipeline_id }, p.display_name || p.name)));
  const experiment = h('select', { 'aria-label': 'Experiment' }, h('option', { value: '' }, 'Any experiment'), n.experiments.map((e) => h('option', { value: e.experiment_id, selected: q.get('experiment') === e.experiment_id }, e.display_name)));
  const since = h('input', { type: 'date', 'aria-label': 'Started on or after', title: 'Started on or after', value: q.get('since') || '' });
  const until = h('input', { type: 'date', 'aria-label': 'Started on or before', title: 'Started on or before', value: q.get('until') || '' });
  const archived = h('input', { type: 'checkbox', checked: q.get('archived') === '1' });
  const selected = new Set();
  const compare = h('button', { disabled: true, onclick: () => ctx.navigate('/compare?runs=' + [...selected].join(',')) }, 'Compare');
  const onSelect = (id, on) => {
    on ? selected.add(id) : selected.delete(id);
    compare.disabled = selected.size < 2;
    compare.textContent = selected.size ? `Compare (${selected.size})` : 'Compare';
  };
  let rows = [];
  const table = listTable({
    path: '/runs', key: 'runs', signal: ctx.signal, sort: 'created_at desc', pageSize: 25,
    id: (r) => r.run_id,
    query: () => ({
      filter: filterJSON([
        search.value.trim() && { key: 'display_name', operation: 'IS_SUBSTRING', string_value: search.value.trim() },
        state.value && { key: 'state', operation: 'EQUALS', string_value: state.value },
        pipeline.value && { key: 'pipeline_id', operation: 'EQUALS', string_value: pipeline.value },
        experiment.value && { key: 'experiment_id', operation: 'EQUALS', string_value: experiment.value },
        since.value && { key: 'created_at', operation: 'GREATER_THAN_EQUALS', timestamp_value: new Date(since.value + 'T00:00:00').toISOString() },
        until.value && { key: 'created_at', operation: 'LESS_THAN', timestamp_value: new Date(new Date(until.value + 'T00:00:00').getTime() + 86400000).toISOString() },
        { key: 'storage_state', operation: 'EQUALS', string_value: archived.checked ? 'ARCHIVED' : 'AVAILABLE' },
      ]),
    }),
    columns: runColumns(n, selected, onSelect),
    get emptyText() { return archived.checked ? 'No archived runs match these filters. Archive a run from its page to move it here.' : 'No runs match these filters.'; },
    onRows: (items) => { rows = items; },
  });
  const sync = () => {
    const u = new URLSearchParams();
    if (search.value.trim()) u.set('q', search.value.trim());
    for (const [k, el] of [['state', state], ['pipeline', pipeline], ['experiment', experiment], ['since', since], ['until', until]]) if (el.value) u.set(k, el.value);
    if (archived.checked) u.set('archived', '1');
    history.replaceState(null, '', '/runs' + (u.size ? '?' + u : ''));
    title.textContent = archived.checked ? 'Archived runs' : 'Runs';
    table.reload();
  };
  search.addEventListener('input', debounce(sync, 250));
  for (const el of [state, pipeline, experiment, since, until, archived]) el.addEventListener('change', sync);
  // Keep the page's active runs current without a manual refresh.
  (async () => {
    while (!ctx.signal.aborted) {
      await new Promise((r) => setTimeout(r, 3000));
      if (!ctx.signal.aborted && rows.some((r) => !TERMINAL.has(r.state)) && !document.hidden) table.refresh();
    }
  })();
  const head = header(archived.checked ? 'Archived runs' : 'Runs', null, [compare, h('a.button.primary', { href: '/runs/new' }, 'Create run')]);
  const title = head.querySelector('h1');
  return h('section.page', head,
    h('div.toolbar.filters', search, state, pipeline, experiment, h('label.inline', 'From ', since), h('label.inline', 'to ', until), h('label.inline', archived, ' Archived')),
    table);
}

// paramInput builds a typed input for a run parameter and a check that
// returns [value, error].
export function paramInput(p, initial) {
  const v = initial !== undefined ? initial : p.def;
  let input;
  switch (p.type) {
    case 'BOOLEAN':
      input = h('select', { name: p.name }, h('option', { value: '' }, '—'), h('option', { value: 'true', selected: v === true }, 'true'), h('option', { value: 'false', selected: v === false }, 'false'));
      break;
    case 'NUMBER_INTEGER':
      input = h('input', { name: p.name, type: 'number', step: '1', value: v ?? '' });
      break;
    case 'NUMBER_DOUBLE':
      input = h('input', { name: p.name, type: 'number', step: 'any', value: v ?? '' });
      break;
    case 'LIST': case 'STRUCT':
      input = h('textarea', { name: p.name, rows: 2, spellcheck: false, value: v === undefined ? '' : JSON.stringify(v) });
      break;
    default:
      input = h('input', { name: p.name, value: v ?? '', autocomplete: 'off' });
  }
  input.classList.add('param');
  const check = () => {
    const raw = input.value.trim();
    if (raw === '') return p.optional ? [undefined, null] : [undefined, 'required'];
    switch (p.type) {
      case 'BOOLEAN': return [raw === 'true', null];
      case 'NUMBER_INTEGER': return /^-?\d+$/.test(raw) ? [parseInt(raw, 10), null] : [undefined, 'must be a whole number'];
      case 'NUMBER_DOUBLE': return isFinite(Number(raw)) ? [Number(raw), null] : [undefined, 'must be a number'];
      case 'LIST': case 'STRUCT': {
        let j;
        try { j = JSON.parse(raw); } catch { return [undefined, `must be JSON (${p.type === 'LIST' ? 'a list like [1, 2]' : 'an object like {"a": 1}'})`]; }
        if (p.type === 'LIST' && !Array.isArray(j)) return [undefined, 'must be a JSON list'];
        if (p.type === 'STRUCT' && (j === null || typeof j !== 'object' || Array.isArray(j))) return [undefined, 'must be a JSON object'];
        return [j, null];
      }
      default: return [input.value, null];
    }
  };
  return { input, check };
}

// paramFields renders the form rows for a spec's parameters; values()
// returns {params} or throws naming the first bad field.
export function paramFields(spec, initial = {}) {
  const ps = rootParams(spec);
  const rows = ps.map((p) => {
    const { input, check } = paramInput(p, initial[p.name]);
    const err = h('span.field-error', { role: 'alert' });
    const validate = () => {
      const [, e] = check();
      err.textContent = e ? `${p.name} ${e}` : '';
      input.setAttribute('aria-invalid', e ? 'true' : 'false');
      return !e;
    };
    input.addEventListener('input', validate);
    input.addEventListener('change', validate);
    const label = h('span.label', h('span.mono', p.name), h('span.type', TYPE_NAMES[p.type] || p.type), p.optional ? null : h('span.req', 'required'));
    return { p, check, validate, el: h('label.field', label, input, p.description ? h('span.hint', p.description) : null, p.def !== undefined ? h('span.hint', 'default ' + fmtValue(p.def)) : null, err) };
  });
  return {
    el: rows.length ? h('div.params', rows.map((r) => r.el)) : h('p.muted', 'This pipeline takes no parameters.'),
    values() {
      const out = {};
      let bad = null;
      for (const r of rows) {
        if (!r.validate() && !bad) bad = r;
        const [v] = r.check();
        if (v !== undefined) out[r.p.name] = v;
      }
      if (bad) {
        bad.el.querySelector('.param').focus();
        throw new Error('Fix the parameters marked in red.');
      }
      return out;
    },
  };
}

export async function newRun(ctx) {
  const q = ctx.q;
  const n = await loadNames(true);
  let clone = null;
  if (q.get('clone')) clone = await api('/runs/' + q.get('clone'), { signal: ctx.signal });
  const ref = clone?.pipeline_version_reference;
  let pid = q.get('pipeline') || ref?.pipeline_id || '';
  let vid = q.get('version') || ref?.pipeline_version_id || '';
  const pipelineSel = h('select', { name: 'pipeline', required: true }, h('option', { value: '' }, 'Choose a pipeline…'),
    n.pipelines.map((p) => h('option', { value: p.pipeline_id, selected: p.pipeline_id === pid }, p.display_name || p.name)));
  const versionSel = h('select', { name: 'version' });
  const name = h('input', { name: 'display_name', autocomplete: 'off', value: clone ? 'Clone of ' + clone.display_name : '' });
  const desc = h('input', { name: 'description', autocomplete: 'off', value: clone?.description || '' });
  const expSel = h('select', { name: 'experiment' }, h('option', { value: '' }, 'Default'),
    n.experiments.filter((e) => e.storage_state !== 'ARCHIVED').map((e) => h('option', { value: e.experiment_id, selected: e.experiment_id === (q.get('experiment') || clone?.experiment_id) }, e.display_name)));
  const cache = h('input', { type: 'checkbox', name: 'cache', checked: true });
  const paramsBox = h('div.params-box');
  const errBox = h('div.form-error', { role: 'alert' });
  let spec = null; // the version's stored spec (or the cloned run's)
  let fields = null;
  const initial = clone?.runtime_config?.parameters || {};
  const loadVersion = async () => {
    paramsBox.replaceChildren(h('p.muted', 'Loading parameters…'));
    spec = null;
    try {
      if (!pid && clone?.pipeline_spec) spec = clone.pipeline_spec;
      else if (pid && vid) spec = (await api(`/pipelines/${pid}/versions/${vid}`)).pipeline_spec;
      if (!spec) return paramsBox.replaceChildren(h('p.muted', 'Choose a pipeline to see its parameters.'));
      fields = paramFields(specOf(spec), initial);
      paramsBox.replaceChildren(fields.el);
      if (!name.value) name.placeholder = `${specOf(spec).pipelineInfo?.name || 'run'} ${new Date().toLocaleString()}`;
    } catch (e) {
      paramsBox.replaceChildren(errorBox(e));
    }
  };
  const loadVersions = async () => {
    versionSel.replaceChildren();
    if (!pid) return loadVersion();
    const vs = (await api(`/pipelines/${pid}/versions?page_size=200&sort_by=created_at%20desc`)).pipeline_versions || [];
    if (!vs.some((v) => v.pipeline_version_id === vid)) vid = vs[0]?.pipeline_version_id || '';
    for (const v of vs) versionSel.append(h('option', { value: v.pipeline_version_id, selected: v.pipeline_version_id === vid }, `${v.display_name || v.name} · ${fmtTime(v.created_at)}`));
    await loadVersion();
  };
  pipelineSel.addEventListener('change', () => { pid = pipelineSel.value; vid = ''; loadVersions(); });
  versionSel.addEventListener('change', () => { vid = versionSel.value; loadVersion(); });
  const submit = h('button.primary', { type: 'submit' }, 'Start run');
  const form = h('form.run-form', { novalidate: true },
    h('div.form-grid',
      field('Pipeline', pipelineSel), field('Version', versionSel),
      field('Run name', name), field('Description', desc),
      field('Experiment', expSel),
      h('label.field.check', cache, h('span', 'Use cached results', h('span.hint', ' — steps whose inputs did not change are not run again')))),
    h('h3', 'Parameters'), paramsBox, errBox,
    h('div.form-buttons', h('a.button', { href: '/runs' }, 'Cancel'), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errBox.textContent = '';
    try {
      if (!spec) throw new Error('Choose a pipeline to run.');
      const params = fields.values();
      const body = {
        display_name: name.value.trim() || name.placeholder,
        description: desc.value.trim() || undefined,
        experiment_id: expSel.value || undefined,
        runtime_config: { parameters: params },
      };
      // no_cache is Sluice's switch; the run keeps its pipeline version.
      if (!cache.checked) body.no_cache = true;
      if (pid) body.pipeline_version_reference = { pipeline_id: pid, pipeline_version_id: vid };
      else body.pipeline_spec = spec;
      submit.disabled = true;
      const run = await api('/runs', { method: 'POST', body });
      toast('Run started');
      ctx.navigate('/runs/' + run.run_id);
    } catch (x) {
      errBox.textContent = x.message;
      submit.disabled = false;
    }
  });
  await loadVersions();
  return h('section.page.narrow', header(clone ? 'Clone run' : 'Create run', clone ? `from ${clone.display_name}` : null), form);
}
