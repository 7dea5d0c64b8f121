// A run's timeline (Gantt) view and a task's resources: each step a bar
// from its start to its end, coloured by state, with its CPU time and
// peak memory; a step's CPU/memory series as a small chart.
import { h, fmtDuration, duration } from './lib.js';

const SVG = 'http://www.w3.org/2000/svg';
const STEP_KINDS = new Set(['container', 'importer']);
export const MAX_BARS = 2000;

function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  for (const k of kids.flat()) if (k != null) el.append(k);
  return el;
}

// fmtBytes writes a byte count in binary units, as the CLI does.
export function fmtBytes(n) {
  if (n == null || isNaN(n)) return '';
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n, i = -1;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10) + ' ' + units[i];
}

// fmtCPU writes CPU seconds.
export function fmtCPU(sec) {
  if (sec == null || isNaN(sec)) return '';
  return sec < 10 ? (Math.round(sec * 100) / 100) + ' s' : fmtDuration(sec * 1000);
}

// usageText is one line of a task's resources: "CPU 1.5 s · peak 205 MiB".
export function usageText(r) {
  if (!r) return '';
  return `CPU ${fmtCPU(r.cpuSeconds)} · peak ${fmtBytes(r.peakMemoryBytes)}` + (r.oomKilled ? ' · OOM killed' : '');
}

// timelineView draws the steps that started, ordered by start time. It
// returns the element; onSelect(taskID) is called when a bar is clicked.
export function timelineView(tasks, selected, onSelect) {
  const steps = [...tasks].filter((t) => STEP_KINDS.has(t.kind) && duration(t.start_time, t.end_time) != null)
    .sort((a, b) => a.start_time.localeCompare(b.start_time) || a.task_id.localeCompare(b.task_id));
  if (!steps.length) return h('div.timeline', h('p.muted', 'No step has started yet.'));
  const shown = steps.slice(0, MAX_BARS);
  const t0 = Math.min(...shown.map((t) => Date.parse(t.start_time)));
  const ends = shown.map((t) => Date.parse(t.start_time) + duration(t.start_time, t.end_time));
  const span = Math.max(1, Math.max(...ends) - t0);
  const ROW = 24, LABEL = 260, WIDTH = 900, INFO = 190, TOP = 22;
  const x = (ms) => LABEL + (ms / span) * (WIDTH - LABEL - INFO);
  const svg = s('svg', { class: 'timeline-chart', width: WIDTH, height: TOP + shown.length * ROW + 4, viewBox: `0 0 ${WIDTH} ${TOP + shown.length * ROW + 4}`, role: 'img', 'aria-label': 'Timeline of the run\'s steps' });
  // Axis: five ticks of elapsed time.
  for (let i = 0; i <= 4; i++) {
    const ms = (span * i) / 4;
    svg.append(s('line', { class: 'tick', x1: x(ms), x2: x(ms), y1: TOP - 4, y2: TOP + shown.length * ROW }),
      s('text', { class: 'tick-label', x: x(ms), y: 12, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, i === 0 ? '0' : fmtDuration(ms)));
  }
  shown.forEach((t, i) => {
    const start = Date.parse(t.start_time) - t0;
    const d = duration(t.start_time, t.end_time);
    const y = TOP + i * ROW;
    const r = t.resources;
    const title = `${t.task_id}: ${t.state}${t.cached ? ' (cached)' : ''} · ${fmtDuration(d)}` + (r ? ' · ' + usageText(r) : '') + (t.error ? '\n' + t.error : '');
    const g = s('g', { class: `bar st-${t.state}` + (t.task_id === selected ? ' selected' : '') + (t.cached ? ' cached' : ''), 'data-id': t.task_id, tabindex: '0', role: 'button' },
      s('title', {}, title),
      s('rect', { class: 'row-bg', x: 0, y, width: WIDTH, height: ROW }),
      s('text', { class: 'bar-label', x: 4, y: y + 16 }, t.task_id.length > 36 ? '…' + t.task_id.slice(-35) : t.task_id),
      s('rect', { class: 'bar-fill', x: x(start), y: y + 5, width: Math.max(2, x(start + d) - x(start)), height: ROW - 10, rx: 3 }),
      s('text', { class: 'bar-info', x: WIDTH - INFO + 8, y: y + 16 }, r ? `${fmtCPU(r.cpuSeconds)} · ${fmtBytes(r.peakMemoryBytes)}` : t.cached ? 'cached' : ''));
    g.addEventListener('click', () => onSelect(t.task_id));
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(t.task_id); } });
    svg.append(g);
  });
  const totals = runTotals(steps);
  return h('div.timeline',
    h('div.toolbar', h('span.muted', `${steps.length} steps` + (steps.length > MAX_BARS ? `, the first ${MAX_BARS} shown` : '') +
      (totals.measured ? ` · CPU ${fmtCPU(totals.cpuSeconds)} in all · largest peak ${fmtBytes(totals.peakMemoryBytes)}` : ''))),
    h('div.timeline-scroll', svg));
}

// runTotals sums the resources of a run's steps: CPU seconds, the largest
// peak, and how many were measured.
export function runTotals(tasks) {
  const out = { cpuSeconds: 0, peakMemoryBytes: 0, measured: 0 };
  for (const t of tasks) {
    const r = t.resources;
    if (!r || t.cached) continue;
    out.measured++;
    out.cpuSeconds += r.cpuSeconds || 0;
    out.peakMemoryBytes = Math.max(out.peakMemoryBytes, r.peakMemoryBytes || 0);
  }
  return out;
}

// resourcesView is a task's resources: the figures and, for a step long
// enough to have one, its CPU and memory series.
export function resourcesView(t) {
  const r = t.resources;
  if (!r) {
    return h('p.muted', t.cached ? 'Served from the cache: nothing ran.' : t.kind === 'container' ? 'Not measured yet: the figures come when the attempt ends.' : 'Only steps are measured.');
  }
  const rows = [
    ['CPU time', fmtCPU(r.cpuSeconds) + ' (user + system)'],
    ['Peak memory', fmtBytes(r.peakMemoryBytes)],
    ['Wall time', fmtCPU(r.wallSeconds)],
    r.wallSeconds > 0 ? ['Average CPU', Math.round((r.cpuSeconds / r.wallSeconds) * 100) + ' %'] : null,
    r.readBytes ? ['Read', fmtBytes(r.readBytes)] : null,
    r.writeBytes ? ['Written', fmtBytes(r.writeBytes)] : null,
    r.memoryLimitBytes ? ['Memory limit', fmtBytes(r.memoryLimitBytes)] : null,
    r.cpuLimit ? ['CPU limit', r.cpuLimit + ' CPUs'] : null,
    r.oomKilled ? ['Stopped', h('span.error-text', 'OOM killed: over its memory limit')] : null,
    r.method ? ['Measured by', r.method] : null,
  ].filter(Boolean);
  return h('div.resources',
    h('table.table.kv', h('tbody', rows.map(([k, v]) => h('tr', h('th', k), h('td', v))))),
    r.samples?.cpuPercent?.length ? [h('h4', 'CPU and memory'), seriesChart(r.samples, r.memoryLimitBytes)] : h('p.muted.small', 'No series: the step ran for less than a few seconds.'));
}

// seriesChart draws CPU % and memory over the step's run.
function seriesChart(sm, limit) {
  const W = 360, H = 120, P = 4;
  const n = sm.cpuPercent.length;
  const cpuMax = Math.max(100, ...sm.cpuPercent);
  const memMax = Math.max(limit || 0, ...sm.memoryBytes, 1);
  const px = (i) => P + (n === 1 ? 0 : (i / (n - 1)) * (W - 2 * P));
  const line = (vals, max) => vals.map((v, i) => `${i ? 'L' : 'M'}${px(i).toFixed(1)},${(H - P - (v / max) * (H - 2 * P)).toFixed(1)}`).join(' ');
  const svg = s('svg', { class: 'series-chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'CPU and memory over time' },
    s('path', { class: 'mem', d: line(sm.memoryBytes, memMax) }),
    s('path', { class: 'cpu', d: line(sm.cpuPercent, cpuMax) }));
  return h('div.series',
    svg,
    h('div.legend.small', h('span.key.cpu'), ` CPU (max ${Math.round(Math.max(...sm.cpuPercent))} %)  `, h('span.key.mem'), ` memory (max ${fmtBytes(Math.max(...sm.memoryBytes))})`,
      h('span.muted', ` · every ${sm.intervalSeconds} s`)));
}
