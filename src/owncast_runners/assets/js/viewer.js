// The viewer page `/`: player, stream state, the notify and Fediverse follow buttons, the streamer's
// page and the chat panel (with chat sign-in).
import { el, clear, formatDuration, icon } from './dom.js';
import { applyCustomisation, getJSON, watchStatus } from './api.js';
import { Player } from './player.js';
import { ChatPanel } from './chat.js';
import { externalActions, renderAbout, renderIdentity } from './about.js';
import { renderNotify } from './notify.js';
import { renderFollow } from './follow.js';

const config = await getJSON('/api/config').catch(() => ({}));
applyCustomisation(config);
renderIdentity(config);
document.body.classList.toggle('chat-disabled', Boolean(config.chatDisabled));
document.body.dataset.tab = config.chatDisabled ? 'about' : 'chat';
for (const tab of document.querySelectorAll('.mobile-tabs [data-tab]')) {
  tab.addEventListener('click', () => { document.body.dataset.tab = tab.dataset.tab; });
}

const player = new Player(document.getElementById('player'), { offlineMessage: config.offlineMessage });
renderAbout(document.getElementById('about'), config);
clear(document.getElementById('actions'), externalActions(config.externalActions));
renderNotify(document.getElementById('notify'), config);
renderFollow(document.getElementById('follow'), config);

const titleNode = document.getElementById('stream-title');
const stateNode = document.getElementById('stream-state');
const viewersNode = document.getElementById('viewer-count');
let lastStatus = null;

function renderStatus(status) {
  lastStatus = status;
  player.setOnline(status.online);
  document.body.classList.toggle('is-live', status.online);
  titleNode.textContent = status.streamTitle || config.streamTitle || config.name || '';
  const hideViewers = config.hideViewerCount || typeof status.viewerCount !== 'number';
  viewersNode.hidden = hideViewers || !status.online;
  if (!hideViewers) clear(viewersNode, icon('eye'), ` ${status.viewerCount} watching`);
  renderClock();
}

function renderClock() {
  if (!lastStatus) return;
  if (lastStatus.online && lastStatus.lastConnectTime) {
    const since = (Date.now() - new Date(lastStatus.lastConnectTime).getTime()) / 1000;
    clear(stateNode, el('span', { class: 'live-badge' }, 'LIVE'), ` ${formatDuration(since)}`);
  } else {
    clear(stateNode, el('span', { class: 'offline-badge' }, 'OFFLINE'));
  }
}

watchStatus(renderStatus);
setInterval(renderClock, 1000);

if (!config.chatDisabled) {
  new ChatPanel(document.getElementById('chat'), { config, signIn: true }).start();
}
