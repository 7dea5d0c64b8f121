// Experiments: list (search, sort, paging), create, archive/restore, and
// an experiment's page with its runs and recurring runs.
import { h, api, header, listTable, filterJSON, debounce, fmtTime, dialog, field, toast, busy } from './lib.js';
import { loadNames, runColumns } from './runs.js';
import { recurringColumns } from './recurring.js';

export function experimentList(ctx) {
  const search = h('input.search', { type: 'search', placeholder: 'Filter experiments by name', 'aria-label': 'Filter experiments by name' });
  const archived = h('input', { type: 'checkbox' });
  const table = listTable({
    path: '/experiments', key: 'experiments', signal: ctx.signal, sort: 'created_at desc',
    query: () => ({ filter: filterJSON([
      search.value.trim() && { key: 'display_name', operation: 'IS_SUBSTRING', string_value: search.value.trim() },
      { key: 'storage_state', operation: 'EQUALS', string_value: archived.checked ? 'ARCHIVED' : 'AVAILABLE' },
    ]) }),
    columns: [
      { label: 'Name', sort: 'display_name', cell: (e) => h('a.strong', { href: '/experiments/' + e.experiment_id }, e.display_name) },
      { label: 'Description', cls: 'muted wrap', cell: (e) => e.description || '' },
      { label: 'Last run', sort: 'last_run_created_at', desc: true, cls: 'nowrap', cell: (e) => fmtTime(e.last_run_created_at) || h('span.muted', 'none') },
      { label: 'Created', sort: 'created_at', desc: true, cls: 'nowrap', cell: (e) => fmtTime(e.created_at) },
    ],
    emptyText: 'No experiments. Runs without one go to "Default".',
  });
  search.addEventListener('input', debounce(() => table.reload(), 250));
  archived.addEventListener('change', () => table.reload());
  return h('section.page',
    header('Experiments', 'Group runs to compare and track them.', [h('button.primary', { onclick: () => newExperiment(ctx) }, 'Create experiment')]),
    h('div.toolbar', search, h('label.inline', archived, ' Archived')), table);
}

function newExperiment(ctx) {
  const name = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const desc = h('input', { name: 'description', autocomplete: 'off' });
  const d = dialog('Create experiment', [field('Name', name), field('Description', desc)], [h('button.primary', { type: 'submit' }, 'Create')], async () => {
    if (!name.value.trim()) throw new Error('Give the experiment a name.');
    const e = await api('/experiments', { method: 'POST', body: { display_name: name.value.trim(), description: desc.value.trim() || undefined } });
    ctx.navigate('/experiments/' + e.experiment_id);
  });
  d.showModal();
  name.focus();
}

export async function experimentPage(ctx) {
  const id = ctx.params[0];
  const e = await api('/experiments/' + id, { signal: ctx.signal });
  const n = await loadNames(true);
  const selected = new Set();
  const compare = h('button', { disabled: true, onclick: () => ctx.navigate('/compare?runs=' + [...selected].join(',')) }, 'Compare');
  const runs = listTable({
    path: '/runs', key: 'runs', signal: ctx.signal, sort: 'created_at desc',
    query: () => ({ experiment_id: id }),
    columns: runColumns(n, selected, (rid, on) => { on ? selected.add(rid) : selected.delete(rid); compare.disabled = selected.size < 2; }),
    emptyText: 'No runs in this experiment yet.',
  });
  const rec = listTable({
    path: '/recurringruns', key: 'recurringRuns', signal: ctx.signal, sort: 'created_at desc',
    query: () => ({ experiment_id: id }), columns: recurringColumns(() => rec.refresh()),
    emptyText: 'No recurring runs in this experiment.',
  });
  const archivedNow = e.storage_state === 'ARCHIVED';
  return h('section.page',
    header(e.display_name, e.description || `created ${fmtTime(e.created_at)}`, [
      h('button', { onclick: async (ev) => {
        if (!await busy(ev.currentTarget, () => api(`/experiments/${id}:${archivedNow ? 'unarchive' : 'archive'}`, { method: 'POST' }))) return;
        toast(archivedNow ? 'Restored' : 'Archived');
        ctx.navigate(location.pathname, true);
      } }, archivedNow ? 'Restore' : 'Archive'),
      h('a.button', { href: `/recurring/new?experiment=${id}` }, 'Create recurring run'),
      compare,
      h('a.button.primary', { href: `/runs/new?experiment=${id}` }, 'Create run'),
    ]),
    h('h3', 'Runs'), runs, h('h3', 'Recurring runs'), rec);
}
