// Pipelines: the list (search, sort, paging), upload (drag and drop) as a
// new pipeline or a new version, and a pipeline's page: graph, parameters,
// versions, source; deleting a version or the pipeline with its versions.
import { h, api, header, listTable, filterJSON, debounce, fmtTime, dialog, field, tabs, specOf, rootParams, TYPE_NAMES, fmtValue, empty, errorBox, fetchAll, confirmDialog, toast } from './lib.js';
import { drawGraph } from './graph.js';
import { toYAML } from './yaml.js';

export function pipelineList(ctx) {
  const search = h('input.search', { type: 'search', placeholder: 'Filter pipelines by name', 'aria-label': 'Filter pipelines by name', value: ctx.q.get('q') || '' });
  const table = listTable({
    path: '/pipelines', key: 'pipelines', signal: ctx.signal, sort: 'created_at desc',
    query: () => ({ filter: filterJSON([search.value.trim() && { key: 'display_name', operation: 'IS_SUBSTRING', string_value: search.value.trim() }]) }),
    id: (p) => p.pipeline_id,
    columns: [
      { label: 'Name', sort: 'display_name', cell: (p) => h('a.strong', { href: '/pipelines/' + p.pipeline_id }, p.display_name || p.name) },
      { label: 'Description', cls: 'muted wrap', cell: (p) => p.description || '' },
      { label: 'Uploaded', sort: 'created_at', desc: true, cls: 'nowrap', cell: (p) => fmtTime(p.created_at) },
      { label: '', cls: 'right', cell: (p) => h('a.button.small', { href: `/runs/new?pipeline=${p.pipeline_id}` }, 'Create run') },
    ],
    emptyText: 'No pipelines match. Upload a compiled pipeline (YAML, JSON, zip or tar.gz).',
  });
  search.addEventListener('input', debounce(() => {
    const u = new URL(location.href);
    search.value ? u.searchParams.set('q', search.value) : u.searchParams.delete('q');
    history.replaceState(null, '', u);
    table.reload();
  }, 250));
  const page = h('section.page',
    header('Pipelines', null, [h('button.primary', { onclick: () => uploadDialog(ctx) }, 'Upload pipeline')]),
    h('div.toolbar', search),
    dropZone(ctx, table));
  return page;
}

// dropZone wraps content: dropping a file anywhere on it opens the upload
// dialog with that file.
function dropZone(ctx, content, pipeline) {
  const z = h('div.dropzone-page', content, h('div.drop-hint', 'Drop a pipeline file to upload it'));
  z.addEventListener('dragover', (e) => { e.preventDefault(); z.classList.add('dragging'); });
  z.addEventListener('dragleave', (e) => { if (!z.contains(e.relatedTarget)) z.classList.remove('dragging'); });
  z.addEventListener('drop', (e) => {
    e.preventDefault();
    z.classList.remove('dragging');
    const f = e.dataTransfer?.files?.[0];
    if (f) uploadDialog(ctx, f, pipeline);
  });
  return z;
}

// uploadDialog uploads a file as a new pipeline, or as a new version of
// an existing one (pipeline given, or chosen in the dialog).
export async function uploadDialog(ctx, file, pipeline) {
  let chosen = file || null;
  const input = h('input', { type: 'file', name: 'uploadfile', accept: '.yaml,.yml,.json,.zip,.gz,.tgz' });
  const fileLabel = h('span.file-name', chosen ? chosen.name : 'No file chosen');
  const zone = h('div.dropzone', { tabindex: '0', role: 'button', 'aria-label': 'Choose or drop a pipeline file' },
    h('strong', 'Drop a compiled pipeline here'), h('span', 'or click to choose a file (.yaml, .json, .zip, .tar.gz)'), fileLabel, input);
  const name = h('input', { name: 'name', placeholder: 'from the file', autocomplete: 'off' });
  const desc = h('input', { name: 'description', autocomplete: 'off' });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'new' }, 'A new pipeline'), h('option', { value: 'version' }, 'A new version of a pipeline'));
  const target = h('select', { name: 'pipeline' });
  const targetField = field('Pipeline', target);
  const setFile = (f) => {
    chosen = f;
    fileLabel.textContent = f ? `${f.name} (${Math.ceil(f.size / 1024)} KiB)` : 'No file chosen';
    if (f && !name.value && mode.value === 'new') name.placeholder = f.name.replace(/\.(ya?ml|json|zip|tar\.gz|tgz)$/, '');
  };
  input.addEventListener('change', () => setFile(input.files[0]));
  zone.addEventListener('click', (e) => { if (e.target !== input) input.click(); });
  zone.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('dragging');
    if (e.dataTransfer.files[0]) setFile(e.dataTransfer.files[0]);
  });
  const syncMode = () => { targetField.hidden = mode.value !== 'version'; };
  mode.addEventListener('change', syncMode);
  if (pipeline) {
    mode.value = 'version';
    target.append(h('option', { value: pipeline.pipeline_id }, pipeline.display_name));
  } else {
    fetchAll('/pipelines', 'pipelines', 1000, { sort_by: 'display_name' }).then((ps) => {
      for (const p of ps) target.append(h('option', { value: p.pipeline_id }, p.display_name || p.name));
    }).catch(() => {});
  }
  syncMode();
  if (file) setFile(file);
  const d = dialog('Upload pipeline', [
    zone, field('Upload as', mode), targetField,
    field('Name', name, 'Pipeline or version name; defaults to the pipeline\'s own name.'), field('Description', desc),
  ], [h('button.primary', { type: 'submit' }, 'Upload')], async () => {
    if (!chosen) throw new Error('Choose a pipeline file first.');
    const form = new FormData();
    form.append('uploadfile', chosen, chosen.name);
    const q = new URLSearchParams();
    if (name.value.trim()) q.set('name', name.value.trim());
    if (desc.value.trim()) q.set('description', desc.value.trim());
    if (mode.value === 'version') {
      if (!target.value) throw new Error('Choose the pipeline this is a version of.');
      q.set('pipelineid', target.value);
      if (!q.has('name')) q.set('name', chosen.name.replace(/\.(ya?ml|json|zip|tar\.gz|tgz)$/, '') + '-' + new Date().toISOString().slice(0, 19).replace(/[-:T]/g, ''));
      const v = await api('/pipelines/upload_version?' + q, { method: 'POST', form });
      ctx.navigate(`/pipelines/${v.pipeline_id}/versions/${v.pipeline_version_id}`);
    } else {
      if (!q.has('name')) q.set('name', name.placeholder !== 'from the file' ? name.placeholder : chosen.name);
      const p = await api('/pipelines/upload?' + q, { method: 'POST', form });
      ctx.navigate('/pipelines/' + p.pipeline_id);
    }
  });
  d.classList.add('wide');
  d.showModal();
}

export async function pipelinePage(ctx) {
  const [pid, vidParam] = ctx.params;
  const tab = ctx.q.get('tab') || 'graph';
  const [p, versions] = await Promise.all([
    api('/pipelines/' + pid, { signal: ctx.signal }),
    api(`/pipelines/${pid}/versions?page_size=200&sort_by=created_at%20desc`, { signal: ctx.signal }),
  ]);
  const list = versions.pipeline_versions || [];
  const nVersions = Math.max(versions.total_size || 0, list.length);
  const vid = vidParam || list[0]?.pipeline_version_id;
  const delPipeline = deletePipelineButton(ctx, p, nVersions);
  if (!vid) {
    return h('section.page', header(p.display_name || p.name, p.description, [delPipeline]), empty('This pipeline has no versions', 'Upload a version to run it.',
      h('button.primary', { onclick: () => uploadDialog(ctx, null, p) }, 'Upload version')));
  }
  const v = await api(`/pipelines/${pid}/versions/${vid}`, { signal: ctx.signal });
  const spec = specOf(v.pipeline_spec);
  const base = `/pipelines/${pid}/versions/${vid}`;
  const picker = h('select', { 'aria-label': 'Version', onchange: (e) => ctx.navigate(`/pipelines/${pid}/versions/${e.target.value}` + (tab !== 'graph' ? '?tab=' + tab : '')) },
    list.map((x) => h('option', { value: x.pipeline_version_id, selected: x.pipeline_version_id === vid }, `${x.display_name || x.name} · ${fmtTime(x.created_at)}`)));
  const head = header(p.display_name || p.name, p.description || spec?.pipelineInfo?.description, [
    h('label.inline', 'Version ', picker),
    h('button', { onclick: () => uploadDialog(ctx, null, p) }, 'Upload version'),
    deleteVersionButton(ctx, p, list.find((x) => x.pipeline_version_id === vid) || v, nVersions, vid, 'Delete version'),
    delPipeline,
    h('a.button', { href: `/runs?pipeline=${pid}` }, 'Runs'),
    h('a.button.primary', { href: `/runs/new?pipeline=${pid}&version=${vid}` }, 'Create run'),
  ]);
  const t = tabs([['graph', 'Graph'], ['params', 'Parameters'], ['versions', `Versions (${list.length})`], ['source', 'Source']], tab, (k) => base + (k === 'graph' ? '' : '?tab=' + k));
  let body;
  if (tab === 'graph') body = await graphView(ctx, spec, `pipeline_version_id=${vid}`);
  else if (tab === 'params') body = paramsTable(spec);
  else if (tab === 'versions') body = versionsTable(ctx, p, list, nVersions, vid);
  else body = h('div.source', h('div.toolbar', h('button', { onclick: () => navigator.clipboard?.writeText(src.textContent) }, 'Copy')), (() => { var src = h('pre.code', toYAML(v.pipeline_spec)); return src; })());
  return dropZone(ctx, h('section.page', head, t, body), p);
}

function paramsTable(spec) {
  const ps = rootParams(spec);
  const arts = Object.entries(spec?.root?.inputDefinitions?.artifacts || {});
  const outs = spec?.root?.outputDefinitions || {};
  if (!ps.length && !arts.length) return empty('No parameters', 'This pipeline runs without inputs.');
  return h('div.cards',
    h('table.table', h('thead', h('tr', h('th', 'Parameter'), h('th', 'Type'), h('th', 'Default'), h('th', 'Description'))),
      h('tbody', ps.map((x) => h('tr', h('td.mono', x.name), h('td', TYPE_NAMES[x.type] || x.type), h('td.mono', x.def === undefined ? h('span.muted', x.optional ? 'optional' : 'required') : fmtValue(x.def)), h('td.muted', x.description))),
        arts.map(([n, a]) => h('tr', h('td.mono', n), h('td', a.artifactType?.schemaTitle || 'artifact'), h('td.muted', 'artifact input'), h('td', a.description || ''))))),
    Object.keys(outs.parameters || {}).length || Object.keys(outs.artifacts || {}).length
      ? h('div', h('h3', 'Outputs'), h('table.table', h('tbody',
        Object.entries(outs.parameters || {}).map(([n, d]) => h('tr', h('td.mono', n), h('td', TYPE_NAMES[d.parameterType] || d.parameterType))),
        Object.entries(outs.artifacts || {}).map(([n, d]) => h('tr', h('td.mono', n), h('td', d.artifactType?.schemaTitle || 'artifact'))))))
      : null);
}

function versionsTable(ctx, p, list, nVersions, vid) {
  const pid = p.pipeline_id;
  return h('table.table', h('thead', h('tr', h('th', 'Version'), h('th', 'Description'), h('th', 'Uploaded'), h('th', ''))),
    h('tbody', list.map((x) => h('tr', { class: x.pipeline_version_id === vid ? 'current' : '', dataset: { id: x.pipeline_version_id } },
      h('td', h('a.strong', { href: `/pipelines/${pid}/versions/${x.pipeline_version_id}` }, x.display_name || x.name)),
      h('td.muted', x.description || ''), h('td.nowrap', fmtTime(x.created_at)),
      h('td.right.nowrap', h('a.button.small', { href: `/runs/new?pipeline=${pid}&version=${x.pipeline_version_id}` }, 'Create run'), ' ',
        deleteVersionButton(ctx, p, x, nVersions, vid, 'Delete', true))))));
}

// deletePipelineButton deletes the pipeline and its versions (cascade:
// the server refuses to delete a pipeline that has versions without it).
function deletePipelineButton(ctx, p, nVersions) {
  const name = p.display_name || p.name;
  const b = h('button.danger', { onclick: async () => {
    b.disabled = true;
    const ok = await confirmDialog('Delete pipeline', [
      h('p', `Delete the pipeline "${name}"` + (nVersions ? ` and its ${nVersions === 1 ? 'version' : nVersions + ' versions'}?` : '?')),
      h('p.muted', 'Runs and recurring runs of it keep their own copy of the spec. This cannot be undone.'),
    ], nVersions ? `Delete pipeline and ${nVersions === 1 ? '1 version' : nVersions + ' versions'}` : 'Delete pipeline',
    () => api(`/pipelines/${p.pipeline_id}?cascade=true`, { method: 'DELETE' }));
    b.disabled = false;
    if (!ok) return;
    toast(`Deleted the pipeline "${name}"`);
    ctx.navigate('/pipelines');
  } }, 'Delete pipeline');
  return b;
}

// deleteVersionButton deletes a pipeline version. The server deletes the
// last version too: the pipeline then stays, without versions.
function deleteVersionButton(ctx, p, x, nVersions, shown, label, small) {
  const xid = x.pipeline_version_id;
  const name = x.display_name || x.name;
  const b = h('button.danger', { class: small ? 'small' : null, 'aria-label': `Delete version ${name}`, onclick: async () => {
    b.disabled = true;
    const ok = await confirmDialog('Delete version', [
      h('p', `Delete the version "${name}" of the pipeline "${p.display_name || p.name}"?`),
      nVersions <= 1 ? h('p', 'It is the pipeline\'s only version: the pipeline stays, without versions, until you upload one or delete it.') : null,
      h('p.muted', 'Runs and recurring runs of it keep their own copy of the spec. This cannot be undone.'),
    ], 'Delete version', () => api(`/pipelines/${p.pipeline_id}/versions/${xid}`, { method: 'DELETE' }));
    b.disabled = false;
    if (!ok) return;
    toast(`Deleted the version "${name}"`);
    // The page shown goes with its version: show the latest one left.
    if (xid === shown) ctx.navigate(`/pipelines/${p.pipeline_id}` + location.search, true);
    else ctx.navigate(location.pathname + location.search, true);
  } }, label);
  return b;
}

// graphView draws the static graph of a spec with a side panel describing
// the clicked task or group.
async function graphView(ctx, spec, query) {
  let g;
  try {
    g = await api('/apis/sluice/v1/graph?' + query, { signal: ctx.signal });
  } catch (e) {
    return errorBox(e);
  }
  if (!g.nodes.length) return empty('Nothing to draw', 'This pipeline has no tasks.');
  const side = h('aside.side', h('p.muted', 'Select a task to see its component: inputs, outputs, image and command.'));
  const graph = drawGraph(g, (id, node) => {
    graph.select(id);
    side.replaceChildren(componentPanel(spec, node));
  });
  return h('div.split', h('div.main-pane', graph.el), side);
}

// componentPanel describes a task of the spec: its component's interface
// and executor.
export function componentPanel(spec, node) {
  const comp = spec?.components?.[node.component] || {};
  const ex = spec?.deploymentSpec?.executors?.[comp.executorLabel];
  const io = (defs, what) => {
    const rows = [
      ...Object.entries(defs?.parameters || {}).map(([n, d]) => h('tr', h('td.mono', n), h('td', TYPE_NAMES[d.parameterType] || d.parameterType), h('td.mono', d.defaultValue !== undefined ? fmtValue(d.defaultValue) : ''))),
      ...Object.entries(defs?.artifacts || {}).map(([n, d]) => h('tr', h('td.mono', n), h('td', d.artifactType?.schemaTitle || 'artifact'), h('td', ''))),
    ];
    return rows.length ? [h('h4', what), h('table.table.compact', h('tbody', rows))] : null;
  };
  const c = ex?.container;
  return h('div.panel',
    h('h3', node.label), h('div.muted', `${node.kind}${node.detail ? ' · ' + node.detail : ''} · ${node.component || ''}`),
    io(comp.inputDefinitions, 'Inputs'), io(comp.outputDefinitions, 'Outputs'),
    c ? [h('h4', 'Image'), h('code.block', c.image),
      h('h4', 'Command'), h('pre.code.small', [...(c.command || []), ...(c.args || [])].join('\n')),
      c.resources ? [h('h4', 'Resources'), h('pre.code.small', toYAML(c.resources))] : null] : null,
    ex?.importer ? [h('h4', 'Importer'), h('pre.code.small', toYAML(ex.importer))] : null);
}
