// Shared helpers: DOM building, the API client (with the token), event
// streams over fetch, formatting, tables, dialogs and toasts.

// h builds an element: h('a.link', {href: '/x', onclick: f}, 'text', child).
// Strings become text nodes, so data never becomes markup.
export function h(tag, attrs, ...kids) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    kids.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'value' || (k in el && typeof v !== 'string')) el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, kids);
  return el;
}

// fill replaces an element's children, with h's rules for kids.
export function fill(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) el.append(k instanceof Node ? k : String(k));
  return el;
}

// ---- the API ----

const TOKEN_KEY = 'sluice.token';
export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) || '',
  set: (t) => (t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY)),
};

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra) {
  const hd = Object.assign({}, extra);
  const t = token.get();
  if (t) hd.Authorization = 'Bearer ' + t;
  return hd;
}

let askingToken = null;

// api calls the REST API. Paths without /apis/ go to the KFP v2beta1 API.
export async function api(path, opts = {}) {
  const url = path.startsWith('/apis/') ? path : '/apis/v2beta1' + path;
  const init = { method: opts.method || 'GET', signal: opts.signal, headers: headers(opts.headers) };
  if (opts.form) init.body = opts.form;
  else if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, init);
  if (res.status === 401) {
    await askToken();
    return api(path, opts);
  }
  if (!res.ok) throw new APIError(res.status, await errorText(res));
  if (opts.raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

async function errorText(res) {
  const text = await res.text();
  try {
    const j = JSON.parse(text);
    return j.message || j.error_message || text;
  } catch {
    return text || res.statusText;
  }
}

// askToken shows the token dialog once, however many calls are waiting.
function askToken() {
  if (askingToken) return askingToken;
  askingToken = new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, placeholder: 'token' });
    const d = dialog('This server needs a token', [
      h('p', 'The server was started with --token. Enter it once; this browser keeps it (localStorage). ',
        'You can also open any page with ?token=… in its address.'),
      input,
    ], [h('button.primary', { type: 'submit' }, 'Use token')], () => {
      token.set(input.value.trim());
      askingToken = null;
      resolve();
    }, { cancel: false });
    d.showModal();
    input.focus();
  });
  return askingToken;
}

// stream reads a Server-Sent Events route with fetch (so the token goes
// in a header) and calls onEvent(event, data) for each event. It
// reconnects after a dropped connection until an "end" event or the
// signal aborts.
export async function stream(path, onEvent, signal) {
  for (let attempt = 0; !signal.aborted; attempt++) {
    let ended = false;
    try {
      const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal });
      if (res.status === 401) {
        await askToken();
        continue;
      }
      if (!res.ok) throw new APIError(res.status, await errorText(res));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        const blocks = buf.split('\n\n');
        buf = blocks.pop();
        for (const block of blocks) {
          let event = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line === 'data:') data.push('');
          }
          if (event === 'end') ended = true;
          onEvent(event, data.join('\n'));
        }
      }
      if (ended) return;
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof APIError && e.status < 500) throw e;
    }
    await sleep(Math.min(5000, 500 * (attempt + 1)), signal);
  }
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

// download fetches a URL with the token and saves it as a file.
export async function download(url, name) {
  const res = await api(url, { raw: true });
  const blob = await res.blob();
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- formatting ----

export function fmtTime(t) {
  if (!t) return '';
  const d = new Date(t);
  if (isNaN(d)) return '';
  const now = new Date();
  const same = d.toDateString() === now.toDateString();
  return same ? d.toLocaleTimeString() : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtDuration(ms) {
  if (ms == null || isNaN(ms) || ms < 0) return '';
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

export function duration(start, end) {
  if (!start || start.startsWith('1970')) return null;
  const a = Date.parse(start);
  const b = end && !end.startsWith('1970') ? Date.parse(end) : Date.now();
  return b - a;
}

export const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELED']);

export function stateBadge(state, extra) {
  const st = state || 'PENDING';
  return h('span.badge', { class: 'st-' + st, title: st }, h('span.dot'), st.charAt(0) + st.slice(1).toLowerCase(), extra ? ' ' + extra : '');
}

export function fmtValue(v) {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function shortID(id) {
  return id ? id.slice(0, 8) : '';
}

// ---- page furniture ----

export function header(title, sub, actions) {
  return h('header.page-head', h('div.titles', h('h1', title), sub ? h('div.sub', sub) : null), h('div.actions', actions || []));
}

export function errorBox(err, retry) {
  return h('div.error-box', { role: 'alert' },
    h('strong', err.status === 404 ? 'Not found' : 'Something went wrong'),
    h('p', String(err.message || err)),
    retry ? h('button', { onclick: retry }, 'Try again') : null);
}

export function empty(title, text, action) {
  return h('div.empty', h('strong', title), text ? h('p', text) : null, action || null);
}

export function toast(msg, kind = 'ok') {
  const t = h('div.toast', { class: kind }, msg);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 3500);
}

// dialog builds a <dialog> with a form; onSubmit runs on submit (it may
// be async and throw: the error is shown in the dialog).
export function dialog(title, body, buttons, onSubmit, opts = {}) {
  const err = h('div.form-error', { role: 'alert' });
  const form = h('form', { method: 'dialog' }, h('h2', title), body, err,
    h('div.dialog-buttons', opts.cancel === false ? null : h('button', { type: 'button', onclick: () => d.close() }, 'Cancel'), buttons));
  const d = h('dialog', form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const btns = form.querySelectorAll('button');
    btns.forEach((b) => (b.disabled = true));
    try {
      await onSubmit(e);
      d.close();
    } catch (x) {
      err.textContent = x.message || String(x);
    } finally {
      btns.forEach((b) => (b.disabled = false));
    }
  });
  d.addEventListener('close', () => d.remove());
  if (opts.cancel === false) d.addEventListener('cancel', (e) => e.preventDefault());
  document.body.append(d);
  return d;
}

// confirmDialog asks before a destructive action. text is the question
// (strings or nodes); label names the confirming button. On confirm, act()
// runs with the dialog's buttons disabled; a failure closes the dialog and
// shows as an error toast. It resolves to true when act() succeeded, false
// when the user cancelled or act() failed.
export function confirmDialog(title, text, label, act) {
  return new Promise((resolve) => {
    let ok = false;
    const d = dialog(title, h('div.confirm-text', text), [h('button.danger-fill', { type: 'submit' }, label)], async () => {
      try {
        await act();
        ok = true;
      } catch (x) {
        toast(x.message || String(x), 'error');
      }
    });
    d.classList.add('confirm');
    d.addEventListener('close', () => resolve(ok));
    d.showModal();
  });
}

// busy runs an action started by a button: the button is disabled while
// it runs and a failure shows as an error toast. It resolves to whether
// the action succeeded.
export async function busy(button, act) {
  button.disabled = true;
  try {
    await act();
    return true;
  } catch (x) {
    toast(x.message || String(x), 'error');
    return false;
  } finally {
    button.disabled = false;
  }
}

export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('span.hint', hint) : null);
}

export function tabs(items, current, hrefFor) {
  return h('div.tabs', { role: 'tablist' }, items.map(([key, label]) =>
    h('a.tab', { href: hrefFor(key), role: 'tab', 'aria-selected': String(key === current), class: key === current ? 'active' : '' }, label)));
}

// ---- lists: a table over a KFP list route with sort, filter and keyset paging ----

// listTable renders a paged table. opts: path (list route), key (the JSON
// array key), columns [{label, sort, cell(item)}], query() (extra URL
// params, e.g. filter), state {sort, pageSize} kept in the page URL,
// emptyText, onRows(items).
export function listTable(opts) {
  const wrap = h('div.list');
  const tokens = [''];
  // offsets[p] is the rows before page p: a page can hold fewer rows than
  // pageSize when its rows are large (the server bounds a page's bytes).
  const offsets = [0];
  let page = 0;
  let sort = opts.sort || 'created_at desc';
  const pageSize = opts.pageSize || 20;
  const load = async () => {
    const q = new URLSearchParams({ page_size: String(pageSize), sort_by: sort });
    if (tokens[page]) q.set('page_token', tokens[page]);
    for (const [k, v] of Object.entries(opts.query ? opts.query() : {})) if (v) q.set(k, v);
    wrap.classList.add('busy');
    try {
      const res = await api(opts.path + '?' + q, { signal: opts.signal });
      const items = res[opts.key] || [];
      tokens[page + 1] = res.next_page_token || '';
      offsets[page + 1] = offsets[page] + items.length;
      render(items, res.total_size || 0);
      opts.onRows?.(items);
    } catch (e) {
      if (opts.signal?.aborted) return;
      wrap.replaceChildren(errorBox(e, load));
    } finally {
      wrap.classList.remove('busy');
    }
  };
  const render = (items, total) => {
    const [sf, sd] = sort.split(' ');
    const head = h('tr', opts.columns.map((c) => {
      if (!c.sort) return h('th', { class: c.cls }, c.label);
      const active = sf === c.sort;
      return h('th', { class: c.cls, 'aria-sort': active ? (sd === 'desc' ? 'descending' : 'ascending') : 'none' },
        h('button.sort', {
          onclick: () => {
            sort = c.sort + (active && sd !== 'desc' ? ' desc' : active ? ' asc' : c.desc ? ' desc' : ' asc');
            reset();
          },
        }, c.label, h('span.arrow', active ? (sd === 'desc' ? ' ↓' : ' ↑') : '')));
    }));
    const body = items.length
      ? items.map((it) => h('tr', { dataset: { id: opts.id?.(it) || '' } }, opts.columns.map((c) => h('td', { class: c.cls }, c.cell(it)))))
      : [h('tr', h('td.empty-row', { colSpan: opts.columns.length }, opts.emptyText || 'Nothing here yet.'))];
    const from = offsets[page] + (items.length ? 1 : 0);
    const to = offsets[page] + items.length;
    const pager = h('div.pager',
      h('span', total ? `${from}–${to} of ${total}` : ''),
      h('button', { disabled: page === 0, onclick: () => { page--; load(); }, 'aria-label': 'Previous page' }, '‹ Prev'),
      h('button', { disabled: !tokens[page + 1], onclick: () => { page++; load(); }, 'aria-label': 'Next page' }, 'Next ›'));
    wrap.replaceChildren(h('table.table', h('thead', head), h('tbody', body)), pager);
  };
  const reset = () => {
    tokens.length = 1;
    offsets.length = 1;
    page = 0;
    load();
  };
  wrap.reload = reset;
  wrap.refresh = load;
  load();
  return wrap;
}

// filterJSON builds the KFP filter parameter from predicates.
export function filterJSON(preds) {
  const p = preds.filter(Boolean);
  return p.length ? JSON.stringify({ predicates: p }) : '';
}

export function debounce(f, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => f(...a), ms);
  };
}

// fetchAll pages through a list route (at most max items).
export async function fetchAll(path, key, max = 1000, extra = {}) {
  const out = [];
  let tok = '';
  do {
    const q = new URLSearchParams(Object.assign({ page_size: '200' }, extra));
    if (tok) q.set('page_token', tok);
    const res = await api(path + '?' + q);
    out.push(...(res[key] || []));
    tok = res.next_page_token || '';
  } while (tok && out.length < max);
  return out;
}

// specOf returns the bare PipelineSpec of a stored spec value (bare or the
// {pipeline_spec, platform_spec} wrapper).
export function specOf(v) {
  if (!v) return null;
  if (v.pipeline_spec && !v.root) return v.pipeline_spec;
  return v;
}

// rootParams lists the pipeline's run parameters.
export function rootParams(spec) {
  const defs = spec?.root?.inputDefinitions?.parameters || {};
  return Object.entries(defs).map(([name, d]) => ({
    name,
    type: d.parameterType || { INT: 'NUMBER_INTEGER', DOUBLE: 'NUMBER_DOUBLE', STRING: 'STRING' }[d.type] || 'STRING',
    def: d.defaultValue,
    optional: !!d.isOptional || d.defaultValue !== undefined,
    description: d.description || '',
  })).sort((a, b) => a.name.localeCompare(b.name));
}

export const TYPE_NAMES = {
  NUMBER_INTEGER: 'int', NUMBER_DOUBLE: 'float', STRING: 'string', BOOLEAN: 'bool', LIST: 'list', STRUCT: 'dict',
  TASK_FINAL_STATUS: 'status',
};
