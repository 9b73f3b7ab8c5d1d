// Recordings: record each broadcast to an MP4 on this server (off by default), then download or
// delete them; retention limits delete the oldest ones. Titles come from the stream title and are
// only ever set as text (el()).
import { el, clear } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { button, card, objectSetting, run, serverConfig, setting, statusLine, table, when } from '../forms.js';

const STATUS_LABELS = {
  recording: 'Recording…',
  processing: 'Saving…',
  ready: 'Ready',
  failed: 'Failed',
};

export function duration(seconds) {
  const total = Math.round(Number(seconds) || 0);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

export function size(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1e6) return `${Math.round(n / 1e3)} KB`;
  if (n < 1e9) return `${Math.round(n / 1e6)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

function downloadLink(r) {
  if (r.status !== 'ready') return null;
  return el('a', { class: 'button', href: `/api/admin/recordings/${encodeURIComponent(r.id)}/download`,
    download: '' }, 'Download');
}

export async function render(root) {
  const c = await serverConfig();
  const list = el('div', { class: 'recordings-list' });
  const status = statusLine();
  let timer = null;

  const load = async () => {
    const recordings = await getJSON('/api/admin/recordings');
    clear(list, table([
      { label: 'Title', value: (r) => r.title || el('span', { class: 'muted' }, 'Untitled') },
      { label: 'Date', value: (r) => when(r.startedAt) },
      { label: 'Duration', value: (r) => (r.status === 'ready' ? duration(r.durationSeconds) : '') },
      { label: 'Size', value: (r) => (r.status === 'ready' ? size(r.sizeBytes) : '') },
      { label: 'Status', value: (r) => el('span', { class: `recording-status ${r.status}` }, STATUS_LABELS[r.status] || r.status,
        r.archiveKey ? el('span', { class: 'muted', title: r.archiveKey }, ' · in the S3 bucket') : null) },
      { label: '', value: (r) => el('div', { class: 'row-actions' }, downloadLink(r),
        r.status === 'recording' || r.status === 'processing' ? null : button('Delete', () => remove(r), 'danger')) },
    ], recordings, { empty: 'No recordings yet.' }));
    // keep following a recording until it is saved
    const busy = recordings.some((r) => r.status === 'recording' || r.status === 'processing');
    clearTimeout(timer);
    timer = busy ? setTimeout(reload, 3000) : null;
  };
  const reload = () => load().catch((error) => clear(list, el('p', { class: 'error' }, `Could not load: ${error.message}`)));

  async function remove(r) {
    const name = r.title || 'this recording';
    if (!window.confirm(`Delete the recording "${name}" of ${when(r.startedAt)}? This cannot be undone.`)) return;
    await run(status, () => postJSON('/api/admin/recordings/delete', { id: r.id }), 'Deleted');
    reload();
  }

  const retention = c.recordingsRetention || { maxAgeDays: 0, maxTotalGB: 0 };
  root.append(
    card('Settings', setting({
      name: 'recordings/enabled', label: 'Record each broadcast', type: 'checkbox', value: c.recordingsEnabled,
      help: 'Saves the highest quality of every broadcast as an MP4 in data/recordings/ on this server '
        + '(with S3 storage, the finished MP4 is then moved to the bucket, under recordings/). '
        + 'Recording stops by itself when less than 1 GiB of disk space is left. Applies from the next broadcast.',
    }),
    el('div', { class: 'recordings-retention' },
      el('h3', {}, 'Keep recordings'),
      objectSetting({
        name: 'recordings/retention',
        value: retention,
        fields: [
          { key: 'maxAgeDays', label: 'Delete recordings older than (days)', type: 'number' },
          { key: 'maxTotalGB', label: 'Keep at most (GB in total)', type: 'number' },
        ],
        help: '0 means no limit (the default: recordings are kept forever). The oldest recordings are '
          + 'deleted first, after each broadcast is saved and once an hour, until both limits hold; '
          + 'a recording being made or saved is never deleted, nor the newest one for its size. '
          + 'Deletions are listed in the server logs.',
      }))),
    card('Saved broadcasts', el('div', { class: 'toolbar' }, status), list),
  );
  await reload();
  return () => clearTimeout(timer);
}
