// A run, live: the graph recolored by the server's event stream, a
// virtualized task table, and a side panel with the selected task's
// inputs, outputs, artifacts, log (followed while it runs) and details.
import { h, fill, api, stream, header, stateBadge, fmtTime, fmtDuration, duration, TERMINAL, fmtValue, specOf, toast, errorBox, empty, download, confirmDialog } from './lib.js';
import { drawGraph, specPath } from './graph.js';
import { artifactView } from './viewers.js';
import { toYAML } from './yaml.js';
import { timelineView, resourcesView, usageText } from './timeline.js';

let panelTab = 'io'; // the side panel's tab, kept from task to task
const STEP_KINDS = new Set(['container', 'importer']);
const ORDER = { FAILED: 0, RUNNING: 1, CANCELING: 2, PENDING: 3, CANCELED: 4, SUCCEEDED: 5, SKIPPED: 6 };

// aggregate sums up the instances of one graph node.
function aggregate(list) {
  const c = { total: list.length, done: 0, failed: 0, running: 0, canceled: 0, skipped: 0, cached: 0, succeeded: 0 };
  for (const t of list) {
    if (TERMINAL.has(t.state)) c.done++;
    if (t.state === 'FAILED') c.failed++;
    else if (t.state === 'RUNNING' || t.state === 'CANCELING') c.running++;
    else if (t.state === 'CANCELED') c.canceled++;
    else if (t.state === 'SKIPPED') c.skipped++;
    else if (t.state === 'SUCCEEDED') c.succeeded++;
    if (t.cached) c.cached++;
  }
  let state = 'PENDING';
  if (!list.length) state = '';
  else if (c.failed) state = 'FAILED';
  else if (c.running || (c.done && c.done < c.total)) state = 'RUNNING';
  else if (c.done === c.total) state = c.skipped === c.total ? 'SKIPPED' : c.canceled ? 'CANCELED' : 'SUCCEEDED';
  return { state, c };
}

export async function runPage(ctx) {
  const id = ctx.params[0];
  const signal = ctx.signal;
  const graphP = api('/apis/sluice/v1/graph?run_id=' + id, { signal }).catch((e) => ({ error: e }));
  let run = await api('/runs/' + id, { signal });
  const [graph, spec] = await Promise.all([
    graphP,
    // The run's own copy of its spec: it outlives a deleted pipeline version.
    (run.pipeline_spec ? Promise.resolve(run.pipeline_spec) : api(`/apis/sluice/v1/runs/${id}/spec`, { signal }))
      .then(specOf).catch(() => null),
  ]);
  const tasks = new Map();
  const byNode = new Map(); // graph id -> Set of task ids
  const iters = new Map(); // loop graph id -> Set of iteration task ids
  const loops = new Set((graph.groups || []).filter((g) => g.kind === 'loop').map((g) => g.id));
  const dirty = new Set();
  let tab = ctx.q.get('tab') || (graph.error ? 'tasks' : 'graph');
  let selected = ctx.q.get('task') || '';

  // ---- header ----
  const badge = h('span');
  const sub = h('div.sub');
  const actions = h('div.actions');
  const head = h('header.page-head', h('div.titles', h('h1', run.display_name || id, ' ', badge), sub), actions);
  const pipeLink = run.pipeline_version_reference?.pipeline_id
    ? h('a', { href: `/pipelines/${run.pipeline_version_reference.pipeline_id}/versions/${run.pipeline_version_reference.pipeline_version_id}` }, spec?.pipelineInfo?.name || 'pipeline')
    : h('span', spec?.pipelineInfo?.name || 'inline pipeline');
  const expLink = run.experiment_id ? h('a', { href: '/experiments/' + run.experiment_id }, 'experiment') : null;
  if (expLink) api('/experiments/' + run.experiment_id, { signal }).then((e) => { expLink.textContent = e.display_name; }).catch(() => {});
  const durEl = h('span');
  const renderHead = () => {
    fill(badge, stateBadge(run.state), run.storage_state === 'ARCHIVED' ? [' ', h('span.tag', { title: 'Archived: listed under Runs › Archived' }, 'archived')] : null);
    const tuning = run.labels?.['sluice/tuning-experiment'];
    const trialLink = tuning ? h('a.trial-link', { href: '/tuning/' + tuning }, 'trial ' + (run.labels['sluice/trial'] || '')) : null;
    fill(sub, pipeLink, expLink ? [' · ', expLink] : null, trialLink ? [' · ', trialLink] : null, ' · started ', fmtTime(run.created_at), ' · ', durEl);
    durEl.textContent = fmtDuration(duration(run.created_at, TERMINAL.has(run.state) ? run.finished_at : null));
    const act = (label, verb, cls) => h('button', { class: cls, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api(`/runs/${id}:${verb}`, { method: 'POST' });
        toast(`${label}: done`);
        run = await api('/runs/' + id);
        renderHead();
        if (verb === 'retry') follow();
      } catch (x) { toast(x.message, 'error'); e.target.disabled = false; }
    } }, label);
    fill(actions,
      !TERMINAL.has(run.state) && run.state !== 'CANCELING' ? act('Terminate', 'terminate', 'danger') : null,
      run.state === 'FAILED' || run.state === 'CANCELED' ? act('Retry', 'retry') : null,
      h('a.button', { href: '/runs/new?clone=' + id }, 'Clone'),
      h('a.button', { href: '/compare?runs=' + id }, 'Compare…'),
      run.storage_state === 'ARCHIVED' ? act('Restore', 'unarchive') : act('Archive', 'archive'),
      deleteButton());
  };
  // Delete: the server stops a run that has not ended, then deletes it.
  const deleteButton = () => {
    const b = h('button.danger', { onclick: async () => {
      b.disabled = true;
      const name = run.display_name || id;
      const ended = TERMINAL.has(run.state);
      const archived = run.storage_state === 'ARCHIVED';
      const ok = await confirmDialog('Delete run', [
        h('p', `Delete the run "${name}"?`),
        ended ? null : h('p', `It has not ended (${run.state.toLowerCase()}): it is stopped first, then deleted.`),
        h('p.muted', 'The run and its task records are deleted (artifacts it wrote stay in storage). This cannot be undone.' + (archived ? '' : ' To only hide it from the run list, archive it instead.')),
      ], ended ? 'Delete run' : 'Stop and delete run', () => api('/runs/' + id, { method: 'DELETE' }));
      b.disabled = false;
      if (!ok) return;
      toast(`Deleted the run "${name}"`);
      ctx.navigate(archived ? '/runs?archived=1' : '/runs');
    } }, 'Delete');
    return b;
  };
  renderHead();

  // ---- why it failed: the end of each failed step's log ----
  const failBox = h('div.run-failure', { role: 'alert', hidden: true });
  const renderFailure = () => {
    const failed = [...tasks.values()].filter((t) => t.state === 'FAILED' && t.log_tail);
    failBox.hidden = !failed.length;
    fill(failBox, failed.slice(0, 3).map((t) => h('div.failed-step', { dataset: { id: t.task_id } },
      h('div.failed-head', h('strong.mono', t.task_id), ' failed', t.error ? ': ' + t.error : ''),
      h('div.muted.small', 'Last lines of its log:'),
      h('pre.log.tail', t.log_tail),
      h('button.small', { onclick: () => { panelTab = 'log'; selectTask(t.task_id); } }, 'Whole log'))),
    failed.length > 3 ? h('p.muted', `${failed.length - 3} more steps failed: see the task table.`) : null);
    // The last line is the one that says why: show it.
    requestAnimationFrame(() => { for (const pre of failBox.querySelectorAll('pre.tail')) pre.scrollTop = pre.scrollHeight; });
  };

  // ---- graph ----
  const side = h('aside.side');
  const gview = graph.error ? null : drawGraph(graph, (gid, node) => selectNode(gid, node));
  const nodeList = (gid) => [...(byNode.get(gid) || [])].map((t) => tasks.get(t)).filter((t) => t.kind !== 'iteration');
  const paint = (gid) => {
    if (!gview?.has(gid)) return;
    const list = nodeList(gid);
    const { state, c } = aggregate(list);
    let text = '';
    let title;
    if (loops.has(gid)) {
      const its = [...(iters.get(gid) || [])].map((t) => tasks.get(t));
      const a = aggregate(its);
      text = its.length ? `${a.c.done}/${its.length} done` + (a.c.failed ? ` · ${a.c.failed} failed` : '') + (a.c.running ? ` · ${a.c.running} running` : '') : '';
    } else if (list.length === 1) {
      const t = list[0];
      text = [t.state === 'RUNNING' || TERMINAL.has(t.state) ? fmtDuration(duration(t.start_time, t.end_time)) : t.state.toLowerCase(),
        t.cached ? 'cached' : '', t.attempts > 1 ? `${t.attempts - 1} ${t.attempts > 2 ? 'retries' : 'retry'}` : ''].filter(Boolean).join(' · ');
      title = `${t.display_name}: ${t.state}${t.cached ? ' (cached)' : ''}${t.error ? '\n' + t.error : ''}`;
    } else if (list.length > 1) {
      text = `${c.done}/${c.total} done` + (c.failed ? ` · ${c.failed} failed` : '') + (c.running ? ` · ${c.running} running` : '');
    }
    gview.update(gid, { state, sub: text, cached: c.total > 0 && c.cached === c.total, title });
  };

  // ---- task table (virtualized) ----
  const ROW = 34;
  const filterState = h('select', { 'aria-label': 'Task state' }, h('option', { value: '' }, 'All states'), Object.keys(ORDER).map((s) => h('option', { value: s }, s.charAt(0) + s.slice(1).toLowerCase())));
  const filterText = h('input.search', { type: 'search', placeholder: 'Filter tasks by path', 'aria-label': 'Filter tasks by path', value: ctx.q.get('tasks') || '' });
  const stepsOnly = h('input', { type: 'checkbox', checked: true });
  const count = h('span.muted');
  const spacer = h('div.vspacer');
  const vrows = h('div.vrows');
  const vscroll = h('div.vscroll', { tabindex: '0', 'aria-label': 'Tasks' }, spacer, vrows);
  const thead = h('div.vrow.vhead', h('span.c-state', 'State'), h('span.c-path', 'Task'), h('span.c-dur', 'Duration'), h('span.c-start', 'Started'), h('span.c-flags', ''));
  let rows = [];
  let rowsDirty = true;
  const refilter = () => {
    const st = filterState.value, q = filterText.value.trim().toLowerCase();
    rows = [];
    for (const t of tasks.values()) {
      if (stepsOnly.checked && !STEP_KINDS.has(t.kind)) continue;
      if (st && t.state !== st) continue;
      if (q && !t.task_id.toLowerCase().includes(q)) continue;
      rows.push(t);
    }
    rows.sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || (a.start_time || '~').localeCompare(b.start_time || '~'));
    count.textContent = `${rows.length} of ${tasks.size} tasks`;
    spacer.style.height = rows.length * ROW + 'px';
    rowsDirty = false;
    drawRows();
  };
  const drawRows = () => {
    if (tab !== 'tasks') return;
    const top = vscroll.scrollTop, hgt = vscroll.clientHeight || 600;
    const from = Math.max(0, Math.floor(top / ROW) - 5), to = Math.min(rows.length, Math.ceil((top + hgt) / ROW) + 5);
    const out = [];
    for (let i = from; i < to; i++) {
      const t = rows[i];
      out.push(h('div.vrow', { style: { top: i * ROW + 'px' }, class: t.task_id === selected ? 'selected' : '', dataset: { id: t.task_id }, onclick: () => selectTask(t.task_id) },
        h('span.c-state', stateBadge(t.state)), h('span.c-path.mono', { title: t.task_id }, t.task_id),
        h('span.c-dur', { title: usageText(t.resources) }, fmtDuration(duration(t.start_time, t.end_time))), h('span.c-start', fmtTime(t.start_time)),
        h('span.c-flags', t.cached ? h('span.tag', 'cached') : null, t.attempts > 1 ? h('span.tag', `${t.attempts} attempts`) : null)));
    }
    if (!rows.length) out.push(h('div.empty-row', tasks.size ? 'No tasks match.' : 'No tasks have started yet.'));
    vrows.replaceChildren(...out);
  };
  vscroll.addEventListener('scroll', () => requestAnimationFrame(drawRows), { passive: true });
  for (const el of [filterState, stepsOnly]) el.addEventListener('change', refilter);
  filterText.addEventListener('input', refilter);
  const taskTable = h('div.tasks-pane', h('div.toolbar', filterText, filterState, h('label.inline', stepsOnly, ' Steps only'), count), h('div.vtable', thead, vscroll));

  // ---- side panel ----
  let panelAbort = null;
  const selectNode = (gid, node) => {
    gview?.select(gid);
    const list = nodeList(gid);
    const own = list.filter((t) => specPath(t.task_id, loops) === gid);
    if (own.length === 1 && !loops.has(gid)) return selectTask(own[0].task_id);
    panelAbort?.abort();
    selected = '';
    setURL();
    const sorted = own.sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9));
    side.replaceChildren(h('div.panel',
      h('h3', node.label), h('div.muted', node.kind + (node.detail ? ' · ' + node.detail : '')),
      own.length ? [h('p', `${own.length} instance${own.length > 1 ? 's' : ''} (one per loop iteration). Pick one:`),
        h('ul.instances', sorted.slice(0, 200).map((t) => h('li', h('button.link', { onclick: () => selectTask(t.task_id) }, stateBadge(t.state), ' ', h('span.mono', t.task_id))))),
        own.length > 200 ? h('button', { onclick: () => { filterText.value = gid.split('/').pop(); setTab('tasks'); refilter(); } }, `All ${own.length} in the task table`) : null]
        : h('p.muted', 'Not started yet.')));
  };
  const selectTask = (tid) => {
    selected = tid;
    setURL();
    const t = tasks.get(tid);
    if (!t) return;
    gview?.select(specPath(tid, loops));
    if (tab === 'tasks') drawRows();
    if (tab === 'timeline') drawTimeline();
    panelAbort?.abort();
    panelAbort = new AbortController();
    signal.addEventListener('abort', () => panelAbort.abort(), { once: true });
    side.replaceChildren(taskPanel(id, t, spec, graph, loops, panelAbort.signal, () => tasks.get(tid)));
  };

  // ---- tabs and layout ----
  const tabBar = h('div.tabs', { role: 'tablist' });
  const mainPane = h('div.main-pane');
  const details = h('div');
  const setURL = () => {
    const u = new URLSearchParams();
    if (tab !== 'graph') u.set('tab', tab);
    if (selected) u.set('task', selected);
    history.replaceState(null, '', `/runs/${id}` + (u.size ? '?' + u : ''));
  };
  const setTab = (k) => {
    tab = k;
    setURL();
    tabBar.replaceChildren(...[['graph', 'Graph'], ['tasks', 'Tasks'], ['timeline', 'Timeline'], ['details', 'Run details']].map(([key, label]) =>
      h('a.tab', { href: `/runs/${id}` + (key === 'graph' ? '' : '?tab=' + key), role: 'tab', 'aria-selected': String(key === tab), class: key === tab ? 'active' : '',
        onclick: (e) => { e.preventDefault(); setTab(key); } }, label)));
    if (k === 'graph') {
      mainPane.replaceChildren(gview ? gview.el : errorBox(graph.error));
      if (gview && !performance.getEntriesByName('sluice:graph').length) requestAnimationFrame(() => performance.mark('sluice:graph'));
    }
    else if (k === 'tasks') { mainPane.replaceChildren(taskTable); refilter(); }
    else if (k === 'timeline') drawTimeline();
    else mainPane.replaceChildren(runDetails(run, spec));
  };
  const drawTimeline = () => { if (tab === 'timeline') mainPane.replaceChildren(timelineView(tasks.values(), selected, selectTask)); };
  setTab(tab);

  // ---- live updates ----
  let frame = 0;
  let refiltering = 0;
  const schedule = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      for (const gid of dirty) paint(gid);
      dirty.clear();
      rowsDirty = true;
      // The table re-sorts at most five times a second while events pour in.
      if (tab === 'tasks' && !refiltering) {
        refiltering = setTimeout(() => { refiltering = 0; if (rowsDirty && tab === 'tasks') refilter(); }, 200);
      }
      if (tab === 'timeline' && !refiltering) {
        refiltering = setTimeout(() => { refiltering = 0; drawTimeline(); }, 500);
      }
    });
  };
  const onTask = (t) => {
    const prev = tasks.get(t.task_id);
    tasks.set(t.task_id, t);
    const gid = specPath(t.task_id, loops);
    if (t.kind === 'iteration') {
      const loop = specPath(t.parent_task_id || '', loops);
      if (!iters.has(loop)) iters.set(loop, new Set());
      iters.get(loop).add(t.task_id);
      dirty.add(loop);
    } else {
      if (!byNode.has(gid)) byNode.set(gid, new Set());
      byNode.get(gid).add(t.task_id);
      // Parent groups show their children's progress too.
      dirty.add(gid);
    }
    if (selected === t.task_id && (!prev || prev.state !== t.state)) panelRefresh?.(t);
    if (t.state === 'FAILED' || prev?.state === 'FAILED') renderFailure();
    schedule();
  };
  let panelRefresh = null;
  const follow = () => {
    stream(`/apis/sluice/v1/runs/${id}/events`, (ev, data) => {
      if (ev === 'task') onTask(JSON.parse(data));
      else if (ev === 'run') {
        const r = JSON.parse(data);
        run.state = r.state;
        if (TERMINAL.has(r.state)) api('/runs/' + id).then((x) => { run = x; renderHead(); }).catch(() => {});
        renderHead();
      }
    }, signal).catch((e) => toast('Live updates stopped: ' + e.message, 'error'));
  };
  follow();
  const ticker = setInterval(() => {
    if (signal.aborted) return clearInterval(ticker);
    if (!TERMINAL.has(run.state)) durEl.textContent = fmtDuration(duration(run.created_at, null));
    for (const [gid, set] of byNode) {
      if (set.size === 1) {
        const t = tasks.get([...set][0]);
        if (t?.state === 'RUNNING') dirty.add(gid);
      }
    }
    if (dirty.size) schedule();
  }, 1000);
  panelRefresh = (t) => {
    if (!panelAbort) return;
    selectTask(t.task_id);
  };
  if (selected) {
    // The task may arrive with the first events.
    const wait = setInterval(() => {
      if (tasks.has(selected) || signal.aborted) {
        clearInterval(wait);
        if (tasks.has(selected)) selectTask(selected);
      }
    }, 100);
  } else {
    side.replaceChildren(h('div.panel', h('p.muted', 'Select a task in the graph or the table to see its inputs, outputs, log and details.')));
  }
  return h('section.page.run', head, failBox, tabBar, h('div.split', mainPane, side));
}

function kv(rows) {
  return h('table.table.kv', h('tbody', rows.filter(Boolean).map(([k, v]) => h('tr', h('th', k), h('td', v)))));
}

function runDetails(run, spec) {
  const params = run.runtime_config?.parameters || {};
  const defs = spec?.root?.inputDefinitions?.parameters || {};
  const names = [...new Set([...Object.keys(defs), ...Object.keys(params)])].sort();
  return h('div.details',
    kv([
      ['Run ID', h('span.mono', run.run_id)], ['State', stateBadge(run.state)],
      run.error?.message ? ['Error', h('pre.error-text', run.error.message)] : null,
      ['Created', fmtTime(run.created_at)], ['Finished', fmtTime(run.finished_at)],
      ['Duration', fmtDuration(duration(run.created_at, TERMINAL.has(run.state) ? run.finished_at : null))],
      run.recurring_run_id ? ['Recurring run', h('a', { href: '/recurring/' + run.recurring_run_id }, run.recurring_run_id)] : null,
      run.runtime_config?.pipeline_root ? ['Pipeline root', h('span.mono', run.runtime_config.pipeline_root)] : null,
      run.description ? ['Description', run.description] : null,
    ]),
    h('h3', 'Parameters'),
    names.length ? h('table.table', h('thead', h('tr', h('th', 'Name'), h('th', 'Value'), h('th', 'Default'))), h('tbody', names.map((n) =>
      h('tr', h('td.mono', n), h('td.mono', n in params ? fmtValue(params[n]) : h('span.muted', 'default')), h('td.mono.muted', fmtValue(defs[n]?.defaultValue))))))
      : h('p.muted', 'No parameters.'),
    run.state_history?.length ? [h('h3', 'History'), h('table.table.compact', h('tbody', run.state_history.map((s) => h('tr', h('td', fmtTime(s.update_time)), h('td', stateBadge(s.state)), h('td.muted', s.error?.message || '')))))] : null);
}

// taskPanel shows one task: I/O, log, details.
function taskPanel(runID, t, spec, graph, loops, signal, latest) {
  const gid = specPath(t.task_id, loops);
  const node = (graph.nodes || []).find((n) => n.id === gid) || (graph.groups || []).find((n) => n.id === gid);
  const comp = node && spec?.components?.[node.component];
  const exec = comp && spec?.deploymentSpec?.executors?.[comp.executorLabel];
  let tab = panelTab;
  const body = h('div.panel-body');
  const tabBar = h('div.tabs.small', { role: 'tablist' });
  const show = (k) => {
    tab = k;
    panelTab = k;
    tabBar.replaceChildren(...[['io', 'Inputs & outputs'], ['log', 'Log'], ['resources', 'Resources'], ['details', 'Details']].map(([key, label]) =>
      h('button.tab', { role: 'tab', 'aria-selected': String(key === k), class: key === k ? 'active' : '', onclick: () => show(key) }, label)));
    if (k === 'io') body.replaceChildren(ioView(t));
    else if (k === 'log') body.replaceChildren(logView(runID, t, signal));
    else if (k === 'resources') body.replaceChildren(resourcesView(latest() || t));
    else body.replaceChildren(detailsView(t, exec));
  };
  show(tab);
  return h('div.panel',
    h('div.panel-head', h('h3', t.display_name || t.key, ' ', stateBadge(t.state)), h('div.mono.muted.small', t.task_id),
      t.resources ? h('div.muted.small.usage-line', usageText(t.resources)) : null,
      t.error ? h('div.error-text', t.error) : null),
    tabBar, body);
}

function paramTable(obj) {
  const e = Object.entries(obj || {});
  if (!e.length) return null;
  return h('table.table.compact', h('tbody', e.map(([k, v]) => h('tr', h('td.mono', k), h('td.mono.value', fmtValue(v))))));
}

function ioView(t) {
  const section = (title, io) => {
    const params = paramTable(io?.parameters);
    const arts = Object.entries(io?.artifacts || {}).flatMap(([name, list]) => (Array.isArray(list) ? list : [list]).map((a) => artifactView(name, a)));
    return h('div', h('h4', title), params, arts.length ? arts : null, !params && !arts.length ? h('p.muted', 'None.') : null);
  };
  return h('div', section('Inputs', t.inputs), section('Outputs', t.outputs));
}

function logView(runID, t, signal) {
  const pre = h('pre.log', { tabindex: '0' });
  const status = h('div.log-status.muted');
  const url = `/apis/sluice/v1/runs/${runID}/logs/${t.task_id}`;
  let lines = 0;
  const add = (text) => {
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    pre.append(text + '\n');
    lines++;
    if (stick) pre.scrollTop = pre.scrollHeight;
  };
  if (!TERMINAL.has(t.state)) {
    status.textContent = 'Following the log while the task runs…';
    stream(url + '?follow=true', (ev, data) => {
      if (ev === 'message') add(data);
      else if (ev === 'end') status.textContent = `Task ended: ${data}. ${lines} lines.`;
      else if (ev === 'error') status.textContent = data;
    }, signal).catch((e) => { status.textContent = e.message; });
  } else if (!t.has_log) {
    status.textContent = t.kind === 'container' ? 'This task wrote no log (it did not run a process' + (t.cached ? ': its result came from the cache' : '') + ').' : 'Only steps have logs.';
  } else {
    status.textContent = 'Loading…';
    api(url, { raw: true, signal }).then((r) => r.text()).then((text) => {
      pre.textContent = text;
      status.textContent = text ? `${text.split('\n').length - (text.endsWith('\n') ? 1 : 0)} lines` : 'The log is empty.';
    }).catch((e) => { status.textContent = e.message; });
  }
  return h('div.logbox', h('div.toolbar', status, t.has_log ? h('button.small', { onclick: () => download(url, `${t.task_id.replaceAll('/', '_')}.log`) }, 'Download') : null), pre);
}

function detailsView(t, exec) {
  const c = exec?.container;
  return h('div',
    kv([
      ['State', stateBadge(t.state)], ['Kind', t.kind],
      ['Cached', t.cached ? 'yes: outputs reused from an earlier run' : 'no'],
      ['Attempts', String(t.attempts || (TERMINAL.has(t.state) ? 1 : 0))],
      t.exit_code != null ? ['Exit code', h('span.mono', String(t.exit_code))] : null,
      t.error ? ['Error', h('pre.error-text', t.error)] : null,
      ['Started', fmtTime(t.start_time)], ['Finished', fmtTime(t.end_time)],
      ['Duration', fmtDuration(duration(t.start_time, t.end_time))],
      t.image || c?.image ? ['Image', h('span.mono', t.image || c.image)] : null,
      c?.resources ? ['Resources', h('pre.code.small', toYAML(c.resources))] : null,
    ]),
    t.command?.length ? [h('h4', 'Command'), h('pre.code.small', t.command.map((a) => a.includes(' ') || a.includes('\n') ? JSON.stringify(a) : a).join(' \\\n  '))] : null);
}
