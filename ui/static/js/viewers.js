// Artifact viewers: scalar metrics as tables, classification metrics as a
// confusion matrix and a ROC curve, HTML and Markdown in sandboxed frames,
// datasets as their first rows, anything else as text; every artifact
// stored here can be downloaded.
import { h, s, api, download, fmtValue, APIError } from './lib.js';

// artifactURL is an artifact's content; preview asks for it inline (the
// server sends it as an attachment otherwise), always in a sandbox.
export const artifactURL = (uri, path, preview) => '/apis/sluice/v1/artifacts?uri=' + encodeURIComponent(uri) +
  (path ? '&path=' + encodeURIComponent(path) : '') + (preview ? '&preview=true' : '');
const PREVIEW_BYTES = 64 * 1024;

function typeOf(a) {
  return a?.type?.schemaTitle || a?.artifactType?.schemaTitle || 'system.Artifact';
}

// artifactView is the card for one artifact of a task.
export function artifactView(name, a) {
  const type = typeOf(a);
  const body = h('div.art-body');
  const local = a.uri && a.uri.startsWith('/') || a.uri?.startsWith('file://');
  const file = a.uri ? a.uri.split('/').pop() : name;
  let shown = false;
  const preview = async () => {
    shown = !shown;
    btn.textContent = shown ? 'Hide' : 'Preview';
    if (!shown) return body.replaceChildren();
    body.replaceChildren(h('p.muted', 'Loading…'));
    try {
      body.replaceChildren(await render(a, type));
    } catch (e) {
      body.replaceChildren(h('p.error-text', e.message));
    }
  };
  const btn = h('button.small', { onclick: preview }, 'Preview');
  const card = h('div.artifact', { dataset: { name, type } },
    h('div.art-head',
      h('span.art-name', name), h('span.tag', type.replace(/^system\./, '')),
      h('span.art-actions', local ? btn : null,
        local ? h('button.small', { onclick: () => download(artifactURL(a.uri), file).catch((e) => body.replaceChildren(h('p.error-text', e.message))) }, 'Download') : null)),
    a.uri ? h('div.mono.small.muted.uri', { title: a.uri }, a.uri) : null,
    body);
  // Metrics live in the metadata, and KFP v1 visualizations are meant to
  // be seen: show them at once.
  if (['system.Metrics', 'system.ClassificationMetrics', 'system.SlicedClassificationMetrics', UI_METADATA].includes(type) || (!local && metaKeys(a).length)) {
    shown = true;
    btn.textContent = 'Hide';
    render(a, type).then((el) => body.replaceChildren(el)).catch((e) => body.replaceChildren(h('p.error-text', e.message)));
  }
  return card;
}

function metaKeys(a) {
  return Object.keys(a.metadata || {}).filter((k) => k !== 'display_name' && !k.startsWith('_'));
}

const UI_METADATA = 'kfp.v1.UIMetadata';

async function render(a, type) {
  switch (type) {
    case UI_METADATA:
      return uiMetadata(a);
    case 'system.Metrics':
      return metricsTable(a.metadata);
    case 'system.ClassificationMetrics':
      return classification(a.metadata);
    case 'system.HTML':
      return frame(await text(a.uri), 'HTML');
    case 'system.Markdown': {
      const res = await api('/apis/sluice/v1/markdown?uri=' + encodeURIComponent(a.uri), { raw: true });
      return frame(DOC_STYLE + (await res.text()), 'Markdown');
    }
  }
  return fileView(a.uri, '', a);
}

export function metricsTable(md) {
  const e = Object.entries(md || {}).filter(([k]) => k !== 'display_name' && !k.startsWith('_'));
  if (!e.length) return h('p.muted', 'No metrics logged.');
  // KFP v1 metrics may say they are percentages (kept under _formats).
  const pct = (k) => md?._formats?.[k] === 'PERCENTAGE';
  return h('table.table.compact.metrics', h('tbody', e.map(([k, v]) => h('tr', h('td', k),
    h('td.num.mono', typeof v === 'number' ? (pct(k) ? fmtNum(+(v * 100).toFixed(4)) + '%' : fmtNum(v)) : fmtValue(v))))));
}

// uiMetadata shows a KFP v1 step's mlpipeline-ui-metadata: each of its
// outputs rendered by type. Sources that are not inline are read through
// the artifact route, so only files of this server's artifact store are.
async function uiMetadata(a) {
  const res = await api(artifactURL(a.uri, '', true), { raw: true });
  const raw = await res.text();
  let doc;
  try {
    doc = JSON.parse(raw);
  } catch {
    return h('div', h('p.error-text', 'The visualizations file is not JSON.'), h('pre.code.small.preview', raw.slice(0, 4000)));
  }
  const outs = Array.isArray(doc?.outputs) ? doc.outputs : [];
  if (!outs.length) return h('p.muted', 'No visualizations.');
  const views = await Promise.all(outs.map((o, i) => visualization(a, o || {}, i).catch((e) => h('p.error-text', e.message))));
  return h('div.visualizations', outs.map((o, i) => h('div.visual', { dataset: { vis: String(o?.type || '') } },
    h('div.visual-title', VIS_TITLES[o?.type] || String(o?.type || 'visualization')), views[i])));
}

const VIS_TITLES = { markdown: 'Markdown', table: 'Table', confusion_matrix: 'Confusion matrix', roc: 'ROC curve', 'web-app': 'Web app', tensorboard: 'TensorBoard' };

// visSource is an output's data: inline, or the file its source names.
async function visSource(o) {
  if (o.storage === 'inline') return String(o.source ?? '');
  if (!o.source) throw new Error('The visualization names no source.');
  return text(String(o.source));
}

// columns finds the columns of a CSV visualization by its schema names.
function columns(o, names) {
  const schema = Array.isArray(o.schema) ? o.schema.map((c) => c?.name) : [];
  return names.map((n, i) => (schema.includes(n) ? schema.indexOf(n) : i));
}

async function visualization(a, o, i) {
  switch (o.type) {
    case 'markdown': {
      // Rendered and sanitized by the server, shown in a sandboxed frame.
      const res = await api('/apis/sluice/v1/markdown?uri=' + encodeURIComponent(a.uri) + '&output=' + i, { raw: true });
      return frame(DOC_STYLE + (await res.text()), 'Markdown');
    }
    case 'table': {
      const rows = parseCSV(await visSource(o), ',', 501).filter((r) => r.length > 1 || r[0] !== '');
      const head = Array.isArray(o.header) ? o.header.map(String) : rows.shift() || [];
      return h('div.csv', h('div.table-scroll', h('table.table.compact', h('thead', h('tr', head.map((c) => h('th', c)))),
        h('tbody', rows.slice(0, 500).map((r) => h('tr', r.map((c) => h('td', c))))))),
        h('p.muted.small', rows.length > 500 ? 'First 500 rows.' : `${rows.length} rows.`));
    }
    case 'confusion_matrix': {
      const [ti, pi, ci] = columns(o, ['target', 'predicted', 'count']);
      const rows = parseCSV(await visSource(o), ',', 100000).filter((r) => r.length > 2);
      const labels = Array.isArray(o.labels) && o.labels.length ? o.labels.map(String)
        : [...new Set(rows.flatMap((r) => [r[ti], r[pi]]))];
      const m = labels.map(() => labels.map(() => 0));
      for (const r of rows) {
        const t = labels.indexOf(r[ti]), p = labels.indexOf(r[pi]);
        if (t >= 0 && p >= 0) m[t][p] += Number(r[ci]) || 0;
      }
      return confusionMatrix({ annotationSpecs: labels.map((l) => ({ displayName: l })), rows: m.map((row) => ({ row })) });
    }
    case 'roc': {
      const [fi, ti] = columns(o, ['fpr', 'tpr', 'thresholds']);
      const points = parseCSV(await visSource(o), ',', 100000).filter((r) => r.length > 1 && !isNaN(parseFloat(r[fi])))
        .map((r) => ({ falsePositiveRate: parseFloat(r[fi]), recall: parseFloat(r[ti]) }));
      return rocChart([{ name: 'ROC', points }]);
    }
    case 'web-app':
      // In a sandboxed frame: the page shows, its scripts do not run.
      return h('div', frame(await visSource(o), 'Web app'), h('p.muted.small', 'Shown without running its scripts.'));
    case 'tensorboard':
      return h('div.tensorboard', h('p', 'Logs: ', h('span.mono', String(o.source ?? ''))),
        h('p.muted.small', 'Sluice does not run TensorBoard: start it yourself on these logs (tensorboard --logdir ' + String(o.source ?? '') + ').'));
  }
  return h('p.muted', `Sluice cannot show visualizations of type "${o.type}".`);
}

export function fmtNum(v) {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? String(+v.toFixed(6)) : v.toExponential(4);
}

export function classification(md) {
  const out = h('div.classification');
  const cm = md?.confusionMatrix;
  if (cm?.rows?.length) out.append(confusionMatrix(cm));
  const roc = md?.confidenceMetrics;
  if (Array.isArray(roc) && roc.length) out.append(rocChart([{ name: 'ROC', points: roc }]));
  const rest = Object.fromEntries(Object.entries(md || {}).filter(([k]) => !['confusionMatrix', 'confidenceMetrics'].includes(k)));
  if (Object.keys(rest).filter((k) => k !== 'display_name').length) out.append(metricsTable(rest));
  if (!out.children.length) out.append(h('p.muted', 'No classification metrics logged.'));
  return out;
}

export function confusionMatrix(cm) {
  const labels = (cm.annotationSpecs || []).map((a) => a.displayName || '');
  const rows = cm.rows.map((r) => r.row || []);
  const max = Math.max(1, ...rows.flat());
  return h('figure.cm', h('figcaption', 'Confusion matrix (rows: actual, columns: predicted)'),
    h('table.cm-table', h('thead', h('tr', h('th', ''), labels.map((l) => h('th', l)))),
      h('tbody', rows.map((r, i) => h('tr', h('th', labels[i] ?? i), r.map((v) => h('td', { style: { '--w': (v / max).toFixed(3) } }, String(v))))))));
}

const COLORS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2'];

// rocChart draws one or more ROC curves (confidenceMetrics: recall over
// falsePositiveRate).
export function rocChart(series) {
  const W = 260, H = 260, P = 34;
  const x = (v) => P + v * (W - P - 10), y = (v) => H - P - v * (H - P - 10);
  const svg = s('svg', { class: 'roc', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'ROC curve' });
  svg.append(s('rect', { x: x(0), y: y(1), width: x(1) - x(0), height: y(0) - y(1), class: 'plot-bg' }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s('line', { x1: x(t), x2: x(t), y1: y(0), y2: y(1), class: 'gridline' }), s('line', { x1: x(0), x2: x(1), y1: y(t), y2: y(t), class: 'gridline' }),
      s('text', { x: x(t), y: H - P + 14, 'text-anchor': 'middle', class: 'tick' }, String(t)), s('text', { x: P - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, String(t)));
  }
  svg.append(s('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'diag' }));
  series.forEach((se, i) => {
    const pts = se.points.map((p) => [Number(p.falsePositiveRate ?? 0), Number(p.recall ?? 0)]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    svg.append(s('polyline', { points: pts.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' '), fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2 },
      s('title', null, se.name)));
  });
  svg.append(s('text', { x: (x(0) + x(1)) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, 'false positive rate'),
    s('text', { x: 10, y: (y(0) + y(1)) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 10 ${(y(0) + y(1)) / 2})` }, 'true positive rate'));
  return h('figure.roc-fig', h('figcaption', 'ROC curve'), svg,
    series.length > 1 ? h('div.legend', series.map((se, i) => h('span', h('i', { style: { background: COLORS[i % COLORS.length] } }), se.name))) : null);
}

const DOC_STYLE = '<style>body{font:14px/1.5 system-ui,sans-serif;margin:12px;color:#1d2430}table{border-collapse:collapse}' +
  'td,th{border:1px solid #d5dbe3;padding:4px 10px}code,pre{background:#f3f5f8;border-radius:4px;padding:1px 4px}h1{font-size:20px}h2{font-size:17px}</style>';

// frame shows HTML in a sandboxed frame: no scripts, no access to this
// page (the page's Content-Security-Policy applies inside it too).
export function frame(html, what) {
  const f = h('iframe.artifact-frame', { sandbox: '', title: what + ' artifact', referrerpolicy: 'no-referrer' });
  f.srcdoc = html;
  return f;
}

async function text(uri, path) {
  const res = await api(artifactURL(uri, path, true), { raw: true });
  return res.text();
}

// fileView previews a file artifact (or lists a directory artifact).
async function fileView(uri, path, a) {
  const res = await api(artifactURL(uri, path, true), { raw: true, headers: { Range: `bytes=0-${PREVIEW_BYTES - 1}` } });
  const ct = res.headers.get('Content-Type') || '';
  if (ct.startsWith('application/json') && !path) {
    const j = await res.json().catch(() => null);
    if (j?.directory) return dirView(uri, j.files || []);
    return h('pre.code.small', JSON.stringify(j, null, 2));
  }
  const buf = new Uint8Array(await res.arrayBuffer());
  const total = Number((res.headers.get('Content-Range') || '').split('/')[1]) || buf.length;
  if (ct.startsWith('image/')) {
    const img = h('img.art-img', { alt: path || 'artifact' });
    img.src = URL.createObjectURL(new Blob([buf], { type: ct.split(';')[0] }));
    return img;
  }
  if (buf.slice(0, 4096).some((b) => b === 0)) return h('p.muted', `Binary file, ${total} bytes. Download it to open it.`);
  let t = new TextDecoder().decode(buf);
  const cut = total > buf.length;
  if (cut) t = t.slice(0, t.lastIndexOf('\n') + 1 || t.length);
  const name = (path || uri).toLowerCase();
  const meta = a && metaKeys(a).length ? metricsTable(a.metadata) : null;
  const note = cut ? h('p.muted.small', `First ${t.length} of ${total} bytes.`) : null;
  if (/\.(csv|tsv)$/.test(name) || looksCSV(t)) return h('div', meta, csvTable(t, name.endsWith('.tsv') || (!name.endsWith('.csv') && t.includes('\t')) ? '\t' : ','), note);
  return h('div', meta, h('pre.code.small.preview', t || '(empty)'), note);
}

function dirView(uri, files) {
  if (!files.length) return h('p.muted', 'An empty directory.');
  return h('ul.files', files.slice(0, 500).map((f) => {
    const box = h('div');
    return h('li', h('span.mono', f), ' ',
      h('button.small', { onclick: async () => { box.replaceChildren(await fileView(uri, f).catch((e) => h('p.error-text', e.message))); } }, 'Preview'), ' ',
      h('button.small', { onclick: () => download(artifactURL(uri, f), f.split('/').pop()) }, 'Download'), box);
  }));
}

function looksCSV(t) {
  const lines = t.split('\n', 6).filter(Boolean);
  if (lines.length < 2) return false;
  const n = (l) => (l.match(/,/g) || []).length;
  return n(lines[0]) > 0 && lines.every((l) => n(l) === n(lines[0]));
}

// parseCSV reads delimited text with quoted fields ("a, b" and "").
export function parseCSV(t, sep = ',', maxRows = 21) {
  const rows = [];
  let row = [], f = '', q = false;
  for (let i = 0; i < t.length && rows.length < maxRows; i++) {
    const c = t[i];
    if (q) {
      if (c === '"' && t[i + 1] === '"') { f += '"'; i++; }
      else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === sep) { row.push(f); f = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && t[i + 1] === '\n') i++;
      row.push(f); rows.push(row); row = []; f = '';
    } else f += c;
  }
  if ((f || row.length) && rows.length < maxRows) { row.push(f); rows.push(row); }
  return rows;
}

function csvTable(t, sep) {
  const rows = parseCSV(t, sep);
  if (!rows.length) return h('p.muted', '(empty)');
  const [head, ...rest] = rows;
  return h('div.csv', h('div.table-scroll', h('table.table.compact', h('thead', h('tr', head.map((c) => h('th', c)))),
    h('tbody', rest.map((r) => h('tr', r.map((c) => h('td', c))))))),
    h('p.muted.small', `First ${rest.length} rows.`));
}

export { APIError };
