// Dashboard: live state, viewers and peaks, the broadcaster's stream, stream health, output
// variants, viewers over time and hardware usage; refreshed every 10 seconds. A moderator gets
// what /api/admin/status tells (the only dashboard route its role may use) and no Disconnect.
import { el, clear } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { automaticName, button, card, run, statusLine, table, when } from '../forms.js';
import { lineChart } from '../charts.js';

const LATENCY = ['Lowest', 'Low', 'Medium (default)', 'High', 'Highest'];

function stat(label, value) {
  return el('div', { class: 'stat' }, el('span', {}, label), el('strong', {}, value ?? '—'));
}

function broadcaster(status) {
  const b = status.broadcaster;
  if (!b) return el('p', { class: 'muted' }, 'Nobody is streaming. Point your software at rtmp://<this host>/live with a stream key.');
  const d = b.streamDetails || {};
  const rows = [
    ['From', b.remoteAddr], ['Since', b.time ? new Date(b.time).toLocaleString() : ''],
    ['Video', `${d.width}×${d.height} @ ${d.framerate} fps, ${d.videoCodec || '?'}${d.videoBitrate ? ` ${d.videoBitrate} kbps` : ''}`],
    ['Audio', `${d.audioCodec || '?'} ${d.audioBitrate || '?'} kbps`], ['Encoder', d.encoder || '?'],
  ];
  return el('dl', { class: 'details' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function health(status) {
  const h = status.health;
  if (!h) return el('p', { class: 'muted' }, 'No playback reports yet.');
  return el('div', { class: `health ${h.healthy ? 'ok' : 'bad'}` },
    el('strong', {}, h.healthy ? 'Healthy' : 'Needs attention'),
    typeof h.healthPercentage === 'number' ? ` · ${h.healthPercentage}% of viewers playing well` : '',
    h.message ? el('p', {}, h.message) : null);
}

function variants(status) {
  const broadcast = status.currentBroadcast;
  if (!broadcast) return el('p', { class: 'muted' }, 'Not live.');
  return el('div', {},
    el('p', {}, `Latency level: ${LATENCY[broadcast.latencyLevel?.level] ?? broadcast.latencyLevel?.level ?? '?'}`),
    table([
      { label: 'Name', value: (v) => v.name || automaticName(v) },
      { label: 'Video', value: (v) => (v.videoPassthrough ? 'passthrough' : `${v.videoBitrate} kbps @ ${v.framerate} fps`) },
      { label: 'Size', value: (v) => (v.scaledWidth || v.scaledHeight ? `${v.scaledWidth || 'auto'}×${v.scaledHeight || 'auto'}` : 'source') },
      { label: 'Audio', value: (v) => (v.audioPassthrough ? 'passthrough' : `${v.audioBitrate} kbps`) },
    ], broadcast.outputSettings || []));
}

function viewerList(viewers) {
  return table([
    { label: 'Since', value: (v) => when(v.firstSeen) },
    { label: 'Address', value: (v) => v.ipAddress || '' },
    { label: 'Location', value: (v) => [v.geo?.regionName, v.geo?.countryCode].filter(Boolean).join(', ') },
    { label: 'Browser', value: (v) => el('span', { class: 'ua', title: v.userAgent }, v.userAgent || '') },
  ], viewers, { empty: 'Nobody is watching.' });
}

function playback(metrics) {
  return el('div', { class: 'charts' },
    lineChart(metrics.medianLatency, { unit: ' s', label: 'Median latency' }),
    lineChart(metrics.medianSegmentDownloadDuration, { unit: ' s', label: 'Median segment download' }),
    lineChart(metrics.medianPlayerBitrate, { unit: ' kbps', label: 'Median player bandwidth' }),
    lineChart(metrics.errors, { label: 'Player errors' }),
    lineChart(metrics.qualityVariantChanges, { label: 'Quality changes' }));
}

/** The cards every role gets: the numbers, the title, the broadcaster (with `extra` below it). */
function summary(status, extra = null) {
  return [
    el('div', { class: 'stats' },
      stat('State', status.online ? 'LIVE' : 'Offline'),
      stat('Viewers', status.viewerCount),
      stat('Session peak', status.sessionPeakViewerCount),
      stat('All-time peak', status.overallPeakViewerCount),
      stat('Version', status.versionNumber)),
    card('Stream title', el('p', {}, status.streamTitle || '(none)')),
    card('Broadcaster', broadcaster(status), extra),
  ];
}

async function loadForModerator(root) {
  const status = await getJSON('/api/admin/status');
  clear(root, summary(status), card('Stream health', health(status)), card('Output', variants(status)));
}

async function load(root) {
  const dayAgo = Math.floor(Date.now() / 1000) - 24 * 3600;
  const [status, hardware, viewers, watching, metrics] = await Promise.all([
    getJSON('/api/admin/status'),
    getJSON('/api/admin/hardwarestats').catch(() => ({})),
    getJSON(`/api/admin/viewersOverTime?windowStart=${dayAgo}`).catch(() => []),
    getJSON('/api/admin/viewers').catch(() => []),
    getJSON('/api/admin/metrics/video').catch(() => ({})),
  ]);
  const disconnect = status.broadcaster ? button('Disconnect the stream', async () => {
    if (window.confirm('Disconnect the broadcaster?')) await getJSON('/api/admin/disconnect').catch(() => {});
    load(root);
  }, 'danger') : null;
  clear(root,
    summary(status, disconnect),
    card('Stream health', health(status), playback(metrics)),
    card('Output', variants(status)),
    card('Viewers over the last 24 hours', lineChart(viewers, { label: 'Viewers' })),
    card('Watching now', viewerList(watching)),
    card('Hardware', el('div', { class: 'charts' },
      lineChart(hardware.cpu, { max: 100, unit: '%', label: 'CPU' }),
      lineChart(hardware.memory, { max: 100, unit: '%', label: 'Memory' }),
      lineChart(hardware.disk, { max: 100, unit: '%', label: 'Disk' }))));
}

// A named account (not the built-in admin, whose password is the admin password on the Server
// page) changes its own password here: POST /api/admin/me/password, open to every role.
function ownPasswordCard(username) {
  const password = el('input', { type: 'password', autocomplete: 'new-password', minlength: 8, name: 'password' });
  const again = el('input', { type: 'password', autocomplete: 'new-password', minlength: 8, name: 'again' });
  const status = statusLine();
  const form = el('form', { class: 'own-password',
    onsubmit: async (event) => {
      event.preventDefault();
      if (password.value !== again.value) {
        status.textContent = 'The two passwords differ.';
        status.className = 'save-status error';
        return;
      }
      const done = await run(status, () => postJSON('/api/admin/me/password', { password: password.value }),
        'Changed: sign in again with the new password.');
      if (done !== undefined) form.reset();
    } },
  el('label', {}, 'New password', password), el('label', {}, 'Again', again),
  el('button', { type: 'submit' }, 'Change my password'), status);
  return card(`Your password (${username})`, form);
}

export async function render(root, session = { isAdmin: true }) {
  const live = el('div');
  clear(root, live, session.username && session.username !== 'admin' ? ownPasswordCard(session.username) : null);
  const tick = () => (session.isAdmin ? load(live) : loadForModerator(live))
    .catch((error) => clear(live, el('p', { class: 'error' }, error.message)));
  await tick();
  const timer = setInterval(tick, 10000);
  return () => clearInterval(timer);
}
