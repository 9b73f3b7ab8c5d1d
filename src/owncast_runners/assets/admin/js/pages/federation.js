// The Fediverse (ActivityPub): settings, followers (approve requests), posting, and the outbound
// delivery queue (posts waiting for a retry, servers paused after repeated failures or marked
// unavailable after a week without an answer, each with a "Try again" button).
import { el } from '/js/dom.js';
import { ApiError, getJSON, postJSON } from '/js/api.js';
import { button, card, refresh, run, serverConfig, setting, statusLine, table, when } from '../forms.js';

export async function render(root) {
  const c = await serverConfig();
  const f = c.federation || {};
  const followers = el('div');
  const pending = el('div');
  const status = statusLine();
  const approve = (actorIRI, approved) => run(status, () => postJSON('/api/admin/followers/approve', { actorIRI, approved }), 'Done')
    .then(reload);
  const person = (x) => el('a', { href: x.link, target: '_blank', rel: 'noopener noreferrer' }, x.name || x.username || x.link);
  // Servers without the follower routes answer 404: say so instead of showing an error.
  const optional = (load) => async () => {
    try {
      return await load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return el('p', { class: 'muted' }, 'Not available on this server.');
      throw error;
    }
  };
  const loadFollowers = optional(async () => {
    const page = await getJSON('/api/admin/followers?offset=0&limit=100');
    return table([
      { label: 'Follower', value: person },
      { label: 'Since', value: (x) => when(x.timestamp) },
    ], page?.results || page || [], { empty: 'No followers yet.' });
  });
  const loadPending = optional(async () => table([
    { label: 'Request from', value: person },
    { label: '', value: (x) => el('span', { class: 'actions' },
      button('Approve', () => approve(x.link, true)), button('Reject', () => approve(x.link, false), 'danger')) },
  ], await getJSON('/api/admin/followers/pending'), { empty: 'No pending requests.' }));
  const deliveries = el('div');
  const retryStatus = statusLine();
  // "Try again": the server forgets that this domain failed (paused or unavailable) and sends to it now.
  const tryAgain = (domain) => run(retryStatus,
    () => postJSON('/api/admin/federation/deliveries/retry-domain', { domain }), `Trying ${domain} again`).then(reload);
  const loadDeliveries = optional(async () => {
    const queue = await getJSON('/api/admin/federation/deliveries?offset=0&limit=100');
    const unavailable = queue.unavailableDomains || [];
    const stopped = new Set(unavailable.map((u) => u.domain));
    const servers = [
      ...unavailable.map((u) => ({ domain: u.domain,
        state: `unavailable since ${when(u.since)}: no answer for a week, deliveries to it stopped` })),
      ...(queue.pausedDomains || []).filter((p) => !stopped.has(p.domain)).map((p) => ({ domain: p.domain,
        state: `not answering, paused until ${when(p.until)}` })),
    ];
    const failing = servers.length === 0 ? null : el('div', { class: 'failing-servers' }, table([
      { label: 'Server', value: (x) => x.domain },
      { label: 'State', value: (x) => x.state },
      { label: '', value: (x) => button('Try again', () => tryAgain(x.domain)) },
    ], servers));
    return el('div', {}, failing, table([
      { label: 'To', value: (x) => x.domain },
      { label: 'What', value: (x) => x.type },
      { label: 'Tries', value: (x) => String(x.attempts) },
      { label: 'Next try', value: (x) => when(x.nextAttemptAt) },
      { label: 'Last error', value: (x) => x.lastError || '' },
    ], queue.results || [], { empty: 'Nothing waiting: every post has been delivered.' }));
  });
  function reload() {
    refresh(followers, loadFollowers);
    refresh(pending, loadPending);
    refresh(deliveries, loadDeliveries);
  }
  const post = el('textarea', { rows: 3, placeholder: 'Write a post for your followers (markdown)', 'aria-label': 'Post' });
  const postStatus = statusLine();
  root.append(
    card('Settings',
      setting({ name: 'federation/enable', label: 'Enable the Fediverse', type: 'checkbox', value: f.enabled,
        help: 'Needs the server URL (Server page).' }),
      setting({ name: 'federation/private', label: 'Approve followers by hand', type: 'checkbox', value: f.isPrivate }),
      setting({ name: 'federation/username', label: 'Account name', value: f.username }),
      setting({ name: 'federation/livemessage', label: 'Go-live post', value: f.goLiveMessage }),
      setting({ name: 'federation/showengagement', label: 'Show follows, likes and boosts in chat', type: 'checkbox',
        value: f.showEngagement }),
      setting({ name: 'federation/blockdomains', label: 'Blocked domains', type: 'list', value: f.blockedDomains })),
    card('Post', post, el('div', { class: 'setting-actions' },
      button('Send', () => run(postStatus, () => postJSON('/api/admin/federation/send', { value: post.value }), 'Sent'), 'primary'),
      postStatus)),
    card('Follow requests', el('div', { class: 'toolbar' }, status), pending),
    card('Followers', followers),
    card('Waiting deliveries', el('div', { class: 'toolbar' }, button('Refresh', reload), retryStatus), deliveries));
  reload();
}
