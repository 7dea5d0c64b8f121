// Draws a laid-out pipeline graph (GET /apis/sluice/v1/graph: boxes and
// edge paths computed on the server by package layout) as SVG, and lets
// pages recolor nodes as task states change.
import { h, s } from './lib.js';

const KIND_MARK = { loop: '⟳ ', condition: '◇ ', dag: '▣ ', importer: '⇣ ' };

// fit truncates text to about w points of 12px sans-serif.
function fit(text, w, px = 6.6) {
  const n = Math.max(3, Math.floor(w / px));
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}

// drawGraph returns {el, update(id, {state, sub, cached}), select(id)}.
// onSelect(id, node) is called when a node or group is clicked or chosen
// with the keyboard.
export function drawGraph(g, onSelect) {
  const pad = 8;
  const W = Math.max(g.width + 2 * pad, 60), H = Math.max(g.height + 2 * pad, 40);
  const svg = s('svg', { class: 'graph', viewBox: `${-pad} ${-pad} ${W} ${H}`, width: W, height: H, role: 'group', 'aria-label': 'Pipeline graph' });
  svg.append(s('defs', null, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));
  const items = new Map();
  const pick = (id, node) => onSelect?.(id, node);
  const focusable = (el, id, node) => {
    el.setAttribute('tabindex', '0');
    el.setAttribute('role', 'button');
    el.addEventListener('click', (e) => { e.stopPropagation(); pick(id, node); });
    el.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(id, node); }
    });
  };
  for (const grp of g.groups) {
    const base = (KIND_MARK[grp.kind] || '') + grp.label;
    const label = s('text', { x: grp.x + 10, y: grp.y + 16, class: 'glabel' });
    const sub = s('tspan', { class: 'gsub' });
    const title = s('title');
    const setLabel = (extra) => {
      const full = fit(base + (extra ? '  ' + extra : ''), grp.w - 16, 5.9);
      label.replaceChildren(full.slice(0, base.length));
      sub.textContent = full.slice(base.length);
      label.append(sub);
      title.textContent = grp.label + (grp.detail ? ` — ${grp.detail}` : '') + (extra ? ` — ${extra}` : '');
    };
    setLabel(grp.kind === 'loop' ? '× ' + grp.detail : grp.kind === 'condition' ? 'if ' + grp.detail : '');
    const el = s('g', { class: `group k-${grp.kind}`, 'data-id': grp.id, 'aria-label': `${grp.kind} ${grp.label}` },
      title, s('rect', { x: grp.x, y: grp.y, width: grp.w, height: grp.h, rx: 8 }), label);
    focusable(el, grp.id, grp);
    svg.append(el);
    items.set(grp.id, { el, sub, node: grp, group: true, setLabel });
  }
  const edges = s('g', { class: 'edges' });
  for (const e of g.edges) edges.append(s('path', { d: e.d, 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
  svg.append(edges);
  for (const n of g.nodes) {
    const label = s('text', { x: n.x + 12, y: n.y + 15, class: 'nlabel' }, fit((KIND_MARK[n.kind] || '') + n.label, n.w - 24));
    const sub = s('text', { x: n.x + 12, y: n.y + 29, class: 'nsub' }, n.exit ? 'exit handler' : '');
    const el = s('g', { class: `node k-${n.kind}${n.exit ? ' exit' : ''}`, 'data-id': n.id, 'aria-label': `task ${n.label}` },
      s('title', null, n.label),
      s('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 6 }),
      s('rect', { x: n.x, y: n.y, width: 4, height: n.h, rx: 2, class: 'stripe' }), label, sub);
    focusable(el, n.id, n);
    svg.append(el);
    items.set(n.id, { el, sub, node: n });
  }
  let selected = null;
  const wrap = h('div.graph-wrap');
  const zoomer = h('div.graph-zoom',
    h('button', { title: 'Zoom in', 'aria-label': 'Zoom in', onclick: () => zoom(1.25) }, '+'),
    h('button', { title: 'Zoom out', 'aria-label': 'Zoom out', onclick: () => zoom(0.8) }, '−'),
    h('button', { title: 'Fit', 'aria-label': 'Fit to view', onclick: () => zoom(0) }, 'Fit'));
  const scroller = h('div.graph-scroll', svg);
  wrap.append(zoomer, scroller);
  let scale = 1;
  function zoom(f) {
    if (f === 0) {
      const avail = scroller.clientWidth - 16;
      scale = avail > 0 ? Math.min(1.2, avail / W) : 1;
    } else scale = Math.max(0.2, Math.min(3, scale * f));
    svg.setAttribute('width', W * scale);
    svg.setAttribute('height', H * scale);
  }
  requestAnimationFrame(() => { if (W > scroller.clientWidth) zoom(0); });
  return {
    el: wrap,
    svg,
    has: (id) => items.has(id),
    ids: () => [...items.keys()],
    update(id, { state, sub, cached, title }) {
      const it = items.get(id);
      if (!it) return;
      const cls = it.el.getAttribute('class').replace(/ st-\S+| cached/g, '');
      it.el.setAttribute('class', cls + (state ? ' st-' + state : '') + (cached ? ' cached' : ''));
      if (sub !== undefined) {
        if (it.group) it.setLabel(sub);
        else it.sub.textContent = fit(sub, it.node.w - 24, 6);
      }
      if (title && !it.group) it.el.querySelector('title').textContent = title;
    },
    select(id) {
      if (selected) items.get(selected)?.el.classList.remove('selected');
      selected = id;
      items.get(id)?.el.classList.add('selected');
    },
  };
}

// specPath maps a run's task id to its graph id: iteration indexes (the
// segment after a loop's key) are dropped. loops is the set of loop ids.
export function specPath(taskID, loops) {
  const parts = taskID.split('/');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    out.push(parts[i]);
    if (loops.has(out.join('/')) && i + 1 < parts.length && /^\d+$/.test(parts[i + 1])) i++;
  }
  return out.join('/');
}
