// The admin app: a hash router over page modules. Every page reads and writes through the
// public admin API (/api/admin/...); the browser's Basic-auth credentials for this origin apply.
// Who is signed in (GET /api/admin/me: name and role) decides which pages are offered: a
// moderator gets the pages marked `moderator` (the server refuses it every other admin route),
// and each page gets the session as render(root, session) to leave out what the role cannot use.
import { el, clear } from '/js/dom.js';
import { getJSON } from '/js/api.js';

const PAGES = [
  { path: '/', title: 'Dashboard', module: './pages/dashboard.js', moderator: true },
  { path: '/general', title: 'General', module: './pages/general.js' },
  { path: '/server', title: 'Server', module: './pages/server.js' },
  { path: '/video', title: 'Video', module: './pages/video.js' },
  { path: '/keys', title: 'Stream keys', module: './pages/keys.js' },
  { path: '/storage', title: 'Storage', module: './pages/storage.js' },
  { path: '/recordings', title: 'Recordings', module: './pages/recordings.js' },
  { path: '/chat', title: 'Chat settings', module: './pages/chat.js' },
  { path: '/moderation', title: 'Moderation', module: './pages/moderation.js', moderator: true },
  { path: '/integrations', title: 'Webhooks & tokens', module: './pages/integrations.js' },
  { path: '/notifications', title: 'Notifications', module: './pages/notifications.js' },
  { path: '/federation', title: 'Fediverse', module: './pages/federation.js' },
  { path: '/admins', title: 'Admins', module: './pages/admins.js' },
  { path: '/logs', title: 'Logs', module: './pages/logs.js' },
];

const nav = document.getElementById('nav');
const page = document.getElementById('page');
let cleanup = null;

/** {username, role, isAdmin}; when the server cannot tell, the moderator's pages (the safe set). */
const session = getJSON('/api/admin/me')
  .then((me) => ({ username: me.username, role: me.role, isAdmin: me.role === 'admin' }))
  .catch(() => ({ username: '', role: 'moderator', isAdmin: false }));

function pagesFor(who) {
  return PAGES.filter((p) => who.isAdmin || p.moderator);
}

function currentPath(pages) {
  const path = window.location.hash.replace(/^#/, '') || '/';
  return pages.some((p) => p.path === path) ? path : '/';
}

function renderNav(pages, path) {
  clear(nav, pages.map((p) => el('a', { href: `#${p.path}`, class: p.path === path ? 'active' : null }, p.title)));
}

function renderSignedIn(who) {
  const badge = document.getElementById('signed-in');
  if (!who.username) return;
  badge.textContent = who.isAdmin ? who.username : `${who.username} · ${who.role}`;
  badge.title = `Signed in as ${who.username} (${who.role})`;
  badge.dataset.role = who.role;
}

async function show() {
  const who = await session;
  const pages = pagesFor(who);
  const path = currentPath(pages);
  const entry = pages.find((p) => p.path === path);
  if ((window.location.hash.replace(/^#/, '') || '/') !== path) {
    window.history.replaceState(null, '', `#${path}`);  // a page this role has not: the dashboard, said so
  }
  renderNav(pages, path);
  document.body.classList.remove('nav-open');
  if (cleanup) cleanup();
  cleanup = null;
  delete page.dataset.ready;
  clear(page, el('p', { class: 'muted' }, 'Loading…'));
  try {
    const module = await import(entry.module);
    const root = el('div', { class: 'page-body' });
    clear(page, el('h1', {}, entry.title), root);
    cleanup = (await module.render(root, who)) || null;
  } catch (error) {
    clear(page, el('h1', {}, entry.title), el('p', { class: 'error' }, `Could not load this page: ${error.message}`));
  }
  document.title = `${entry.title} · Owncast admin`;
  page.dataset.ready = path;  // rendered (tests and custom scripts can wait for this)
}

async function pollLiveState() {
  const badge = document.getElementById('live-state');
  try {
    const status = await getJSON('/api/status');
    badge.textContent = status.online ? 'LIVE' : 'Offline';
    badge.classList.toggle('is-live', status.online);
  } catch {
    badge.textContent = '';
  }
}

document.getElementById('menu-toggle').addEventListener('click', () => document.body.classList.toggle('nav-open'));
window.addEventListener('hashchange', show);
session.then(renderSignedIn);
show();
pollLiveState();
setInterval(pollLiveState, 10000);
