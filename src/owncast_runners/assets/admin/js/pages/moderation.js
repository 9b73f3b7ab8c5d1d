// Moderation: every chat message (hide/show), connected users (ban, moderator), banned users,
// moderators, IP bans and, for admins, custom emoji (a moderator may not upload or delete them).
import { append, el, html } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { button, card, refresh, run, statusLine, table, when } from '../forms.js';

function userName(user) {
  return el('span', { class: `user-color-${user?.displayColor ?? 0}` }, user?.displayName ?? '');
}

export async function render(root, session = { isAdmin: true }) {
  const messages = el('div');
  const clients = el('div');
  const disabled = el('div');
  const moderators = el('div');
  const bans = el('div');
  const emoji = el('div');
  const status = statusLine();
  const act = (action) => run(status, action, 'Done').then(reloadAll);

  const setVisible = (id, visible) => act(() => postJSON('/api/admin/chat/messagevisibility', { idArray: [id], visible }));
  const setEnabled = (userId, enabled) => act(() => postJSON('/api/admin/chat/users/setenabled', { userId, enabled }));
  const setModerator = (userId, isModerator) =>
    act(() => postJSON('/api/admin/chat/users/setmoderator', { userId, isModerator }));
  const isModerator = (user) => (user?.scopes || []).includes('MODERATOR');

  const loadMessages = async () => table([
    { label: 'Time', value: (m) => when(m.timestamp) },
    { label: 'User', value: (m) => userName(m.user) },
    { label: 'Message', value: (m) => html(el('div', { class: 'message-body' }), m.body) },
    { label: '', value: (m) => (m.hiddenAt
      ? button('Show', () => setVisible(m.id, true))
      : button('Hide', () => setVisible(m.id, false))) },
  ], ((await getJSON('/api/admin/chat/messages')) || []).filter((m) => m.type === 'CHAT').slice(0, 200),
  { empty: 'No chat messages yet.' });

  const loadClients = async () => table([
    { label: 'User', value: (c) => userName(c.user) },
    { label: 'Messages', value: (c) => c.messageCount },
    { label: 'Connected', value: (c) => when(c.connectedAt) },
    { label: 'Address', value: (c) => c.ipAddress || '' },
    { label: 'Location', value: (c) => [c.geo?.regionName, c.geo?.countryCode].filter(Boolean).join(', ') },
    { label: 'Browser', value: (c) => el('span', { class: 'ua', title: c.userAgent }, c.userAgent || '') },
    { label: '', value: (c) => el('span', { class: 'actions' },
      button(isModerator(c.user) ? 'Remove moderator' : 'Make moderator', () => setModerator(c.user.id, !isModerator(c.user))),
      button('Ban', () => setEnabled(c.user.id, false), 'danger')) },
  ], await getJSON('/api/admin/chat/clients'), { empty: 'Nobody is in chat.' });

  const loadDisabled = async () => table([
    { label: 'User', value: (u) => userName(u) },
    { label: 'Banned', value: (u) => when(u.disabledAt) },
    { label: '', value: (u) => button('Unban', () => setEnabled(u.id, true)) },
  ], await getJSON('/api/admin/chat/users/disabled'), { empty: 'No banned users.' });

  const loadModerators = async () => table([
    { label: 'User', value: (u) => userName(u) },
    { label: '', value: (u) => button('Remove moderator', () => setModerator(u.id, false)) },
  ], await getJSON('/api/admin/chat/users/moderators'), { empty: 'No moderators.' });

  const banInput = el('input', { type: 'text', placeholder: 'IP address', 'aria-label': 'IP address to ban' });
  const loadBans = async () => el('div', {},
    table([
      { label: 'Address', value: (b) => b.ipAddress },
      { label: 'Notes', value: (b) => b.notes || '' },
      { label: 'Since', value: (b) => when(b.createdAt) },
      { label: '', value: (b) => button('Remove', () => act(() => postJSON('/api/admin/chat/users/ipbans/remove', { value: b.ipAddress }))) },
    ], await getJSON('/api/admin/chat/users/ipbans'), { empty: 'No IP bans.' }),
    el('div', { class: 'inline-form' }, banInput,
      button('Ban address', () => act(() => postJSON('/api/admin/chat/users/ipbans/create', { value: banInput.value.trim() })))));

  const emojiName = el('input', { type: 'text', placeholder: 'name', 'aria-label': 'Emoji name' });
  const emojiFile = el('input', { type: 'file', accept: 'image/*', 'aria-label': 'Emoji image' });
  const uploadEmoji = () => {
    const file = emojiFile.files[0];
    if (!file) return;
    const reader = new FileReader();
    const name = emojiName.value.trim() || file.name;
    reader.onload = () => act(() => postJSON('/api/admin/emoji/upload', { name, data: reader.result }));
    reader.readAsDataURL(file);
  };
  const loadEmoji = async () => el('div', {},
    el('div', { class: 'emoji-grid' }, ((await getJSON('/api/emoji')) || []).map((e) => el('figure', {},
      el('img', { src: e.url, alt: e.name }), el('figcaption', {}, e.name),
      button('Delete', () => act(() => postJSON('/api/admin/emoji/delete', { name: e.name })), 'danger small')))),
    el('div', { class: 'inline-form' }, emojiName, emojiFile, button('Upload', uploadEmoji)));

  function reloadAll() {
    refresh(messages, loadMessages);
    refresh(clients, loadClients);
    refresh(disabled, loadDisabled);
    refresh(moderators, loadModerators);
    refresh(bans, loadBans);
    if (session.isAdmin) refresh(emoji, loadEmoji);
  }

  // dom.js append skips the null a moderator gets for the emoji card (Element.append would
  // show it as the text "null")
  append(root, [el('div', { class: 'toolbar' }, button('Refresh', reloadAll), status),
    card('Messages', messages), card('Connected users', clients), card('Banned users', disabled),
    card('Moderators', moderators), card('IP bans', bans), session.isAdmin ? card('Custom emoji', emoji) : null]);
  reloadAll();
}
