// The application: routes a path to a page, keeps links in the page
// (history API), turns KFP-style hash links into our URLs.
import { h, token, errorBox, api } from './lib.js';

// KFP dashboard links (/#/runs/details/ID, ...) and their pages here.
const kfpLinks = [
  [/^#\/runs\/details\/([^/?]+)/, (m) => '/runs/' + m[1]],
  [/^#\/pipelines\/details\/([^/?]+)\/version\/([^/?]+)/, (m) => `/pipelines/${m[1]}/versions/${m[2]}`],
  [/^#\/pipelines\/details\/([^/?]+)/, (m) => '/pipelines/' + m[1]],
  [/^#\/experiments\/details\/([^/?]+)/, (m) => '/experiments/' + m[1]],
  [/^#\/recurringrun\/details\/([^/?]+)/, (m) => '/recurring/' + m[1]],
  [/^#\/compare\?runlist=([^&]+)/, (m) => '/compare?runs=' + m[1]],
  [/^#\/(pipelines|experiments|runs)\b/, (m) => '/' + m[1]],
  [/^#\/recurringruns?\b/, () => '/recurring'],
  [/^#\/archive\/runs/, () => '/runs?archived=1'],
];

function fromKFPHash() {
  const hs = location.hash;
  if (!hs.startsWith('#/')) return false;
  for (const [re, to] of kfpLinks) {
    const m = hs.match(re);
    if (m) {
      history.replaceState(null, '', to(m));
      return true;
    }
  }
  history.replaceState(null, '', '/');
  return true;
}

// Routes: [pattern, module, export]. Modules load on first use.
const routes = [
  [/^\/$/, null, () => navigate('/pipelines', true)],
  [/^\/pipelines$/, './pipelines.js', 'pipelineList'],
  [/^\/pipelines\/([^/]+)(?:\/versions\/([^/]+))?$/, './pipelines.js', 'pipelinePage'],
  [/^\/runs$/, './runs.js', 'runList'],
  [/^\/runs\/new$/, './runs.js', 'newRun'],
  [/^\/runs\/([^/]+)$/, './run.js', 'runPage'],
  [/^\/compare$/, './compare.js', 'comparePage'],
  [/^\/experiments$/, './experiments.js', 'experimentList'],
  [/^\/experiments\/([^/]+)$/, './experiments.js', 'experimentPage'],
  [/^\/tuning$/, './tuning.js', 'tuningList'],
  [/^\/tuning\/([^/]+)$/, './tuning.js', 'tuningPage'],
  [/^\/recurring$/, './recurring.js', 'recurringList'],
  [/^\/recurring\/new$/, './recurring.js', 'newRecurring'],
  [/^\/recurring\/([^/]+)$/, './recurring.js', 'recurringPage'],
];

let current = null; // {abort, path}

export function navigate(to, replace) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  render();
}
window.sluiceNavigate = navigate;

async function render() {
  const app = document.getElementById('app');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const q = new URLSearchParams(location.search);
  current?.abort.abort();
  const abort = new AbortController();
  current = { abort, path };
  const section = path.split('/')[1];
  for (const a of document.querySelectorAll('#nav a[data-section]')) {
    a.classList.toggle('active', a.dataset.section === section);
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, mod, fn] of routes) {
    const m = path.match(re);
    if (!m) continue;
    if (!mod) return fn();
    try {
      const page = (await import(mod))[fn];
      if (abort.signal.aborted) return;
      const ctx = { params: m.slice(1).map((x) => x && decodeURIComponent(x)), q, signal: abort.signal, navigate, app };
      const node = await page(ctx);
      if (abort.signal.aborted) return;
      if (node) app.replaceChildren(node);
    } catch (e) {
      if (!abort.signal.aborted) app.replaceChildren(errorBox(e, render));
    }
    return;
  }
  app.replaceChildren(errorBox({ status: 404, message: `There is no page at ${path}.` }));
}

// Keep same-origin links inside the app (plain left clicks only).
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/apis/') || url.pathname.startsWith('/static/')) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', render);

// ?token=… on any page: keep it, drop it from the address.
const q = new URLSearchParams(location.search);
if (q.has('token')) {
  token.set(q.get('token'));
  q.delete('token');
  history.replaceState(null, '', location.pathname + (q.size ? '?' + q : '') + location.hash);
}
fromKFPHash();
render();

api('/healthz').then((v) => {
  const el = document.getElementById('version');
  const commit = v.commit_sha && v.commit_sha !== 'unknown' ? v.commit_sha.slice(0, 12) : '';
  const tag = v.tag_name || 'devel';
  el.textContent = 'Sluice ' + tag + (commit && !tag.includes(commit) ? ' · ' + commit : '');
  el.title = 'commit ' + (v.commit_sha || 'unknown') + ' (healthz)';
}).catch(() => {});
