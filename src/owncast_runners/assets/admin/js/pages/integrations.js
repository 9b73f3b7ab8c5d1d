// Webhooks and access tokens for third-party integrations.
import { el } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { button, card, refresh, run, statusLine, table, when } from '../forms.js';

const EVENTS = ['CHAT', 'USER_JOINED', 'USER_PARTED', 'NAME_CHANGE', 'VISIBILITY-UPDATE', 'STREAM_STARTED',
  'STREAM_STOPPED', 'STREAM_TITLE_UPDATED', 'CHAT_ACTION', 'SYSTEM'];
const SCOPES = [
  ['CAN_SEND_MESSAGES', 'Send chat messages as a bot'],
  ['CAN_SEND_SYSTEM_MESSAGES', 'Send system messages and actions'],
  ['HAS_ADMIN_ACCESS', 'Admin access (moderate, read chat, set the title)'],
];

function checkboxes(items) {
  const boxes = items.map(([value, label]) => [value, label, el('input', { type: 'checkbox', value })]);
  const node = el('div', { class: 'checkboxes' }, boxes.map(([value, label, box]) => el('label', {}, box, ` ${label ?? value}`)));
  return { node, checked: () => boxes.filter(([, , box]) => box.checked).map(([value]) => value) };
}

export async function render(root) {
  const hooks = el('div');
  const tokens = el('div');
  const status = statusLine();
  const reload = () => { refresh(hooks, loadHooks); refresh(tokens, loadTokens); };
  const act = (action, done) => run(status, action, done).then((result) => { reload(); return result; });

  const loadHooks = async () => table([
    { label: 'URL', value: (h) => h.url },
    { label: 'Events', value: (h) => (h.events || []).join(', ') },
    { label: 'Last used', value: (h) => when(h.lastUsed) || 'never' },
    { label: '', value: (h) => button('Delete', () => act(() => postJSON('/api/admin/webhooks/delete', { id: h.id })), 'danger') },
  ], await getJSON('/api/admin/webhooks'), { empty: 'No webhooks.' });

  const loadTokens = async () => table([
    { label: 'Name', value: (t) => t.displayName },
    { label: 'Token', value: (t) => el('code', {}, t.accessToken) },
    { label: 'Scopes', value: (t) => (t.scopes || []).join(', ') },
    { label: 'Last used', value: (t) => when(t.lastUsedAt) || 'never' },
    { label: '', value: (t) => button('Delete', () => act(() => postJSON('/api/admin/accesstokens/delete', { token: t.accessToken })), 'danger') },
  ], await getJSON('/api/admin/accesstokens'), { empty: 'No access tokens.' });

  const hookUrl = el('input', { type: 'url', placeholder: 'https://example.com/hook', 'aria-label': 'Webhook URL' });
  const hookEvents = checkboxes(EVENTS.map((e) => [e]));
  const tokenName = el('input', { type: 'text', placeholder: 'Bot name', 'aria-label': 'Token name' });
  const tokenScopes = checkboxes(SCOPES);
  const created = el('p', { class: 'created-token' });

  root.append(el('div', { class: 'toolbar' }, status),
    card('Webhooks', hooks,
      el('h3', {}, 'Add a webhook'), hookUrl, hookEvents.node,
      button('Create webhook', () => act(() => postJSON('/api/admin/webhooks/create',
        { url: hookUrl.value.trim(), events: hookEvents.checked() })), 'primary')),
    card('Access tokens', tokens,
      el('h3', {}, 'Create a token'), tokenName, tokenScopes.node,
      button('Create token', async () => {
        const token = await act(() => postJSON('/api/admin/accesstokens/create',
          { name: tokenName.value.trim(), scopes: tokenScopes.checked() }), 'Created');
        if (token) created.textContent = `New token: ${token.accessToken}`;
      }, 'primary'), created));
  reload();
}
