// Admins: the named admin accounts beside the built-in `admin`, each with its role (admin:
// everything; moderator: dashboard and chat moderation only), and who changed what recently
// (and who was refused: status 403). Every name, path and message is set as text (el() never
// parses HTML).
import { el } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { button, card, refresh, run, statusLine, table, when } from '../forms.js';

const ROLES = [
  { value: 'moderator', label: 'Moderator' },
  { value: 'admin', label: 'Admin' },
];

function field(type, label, attrs = {}) {
  return el('input', { type, 'aria-label': label, placeholder: label, ...attrs });
}

function roleSelect(label, value, attrs = {}) {
  return el('select', { 'aria-label': label, ...attrs },
    ROLES.map((r) => el('option', { value: r.value, selected: r.value === value }, r.label)));
}

export async function render(root, session = { username: 'admin' }) {
  const accounts = el('div');
  const audit = el('div');
  const status = statusLine();
  const reload = () => { refresh(accounts, loadAccounts); refresh(audit, loadAudit); };
  const act = (action, done) => run(status, action, done).then((result) => { reload(); return result; });

  const changeRole = async (account, select) => {
    if (select.value === account.role) return;
    const done = await act(() => postJSON('/api/admin/accounts/role', { username: account.username, role: select.value }),
      'Role changed');
    // Stepping down yourself: start again with the pages the new role has.
    if (done && account.username === session.username) window.location.reload();
  };

  const loadAccounts = async () => table([
    { label: 'Username', value: (a) => a.username },
    {
      label: 'Role',
      value: (a) => {
        const select = roleSelect(`Role of ${a.username}`, a.role, { class: 'account-role' });
        select.addEventListener('change', () => changeRole(a, select));
        return select;
      },
    },
    { label: 'Created', value: (a) => when(a.createdAt) },
    { label: 'Last login', value: (a) => when(a.lastLoginAt) || 'never' },
    {
      label: '',
      value: (a) => button('Delete', () => {
        if (!window.confirm(`Delete the admin account ${a.username}?`)) return undefined;
        return act(() => postJSON('/api/admin/accounts/delete', { username: a.username }), 'Deleted');
      }, 'danger'),
    },
  ], await getJSON('/api/admin/accounts'), { empty: 'No named accounts: only the built-in admin.' });

  const loadAudit = async () => table([
    { label: 'Time', value: (e) => when(e.time) },
    { label: 'Admin', value: (e) => e.admin },
    { label: 'Request', value: (e) => el('code', {}, `${e.method} ${e.path}`) },
    { label: 'Change', value: (e) => e.detail || '' },
    { label: 'Status', value: (e) => (e.status === 403 ? '403 refused (role)' : String(e.status)) },
  ], await getJSON('/api/admin/audit'), { empty: 'No changes since the server started.' });

  const newName = field('text', 'Username', { id: 'admin-new-username', autocomplete: 'off', maxlength: 32 });
  const newPassword = field('password', 'Password (min. 8)',
    { id: 'admin-new-password', autocomplete: 'new-password' });
  // Moderator first: the least a new account can do, chosen in plain sight (the API, for
  // scripts written before roles, makes admins when no role is given).
  const newRole = roleSelect('Role', 'moderator', { id: 'admin-new-role' });
  const pwName = field('text', 'Username', { id: 'admin-password-username', autocomplete: 'off', maxlength: 32 });
  const pwPassword = field('password', 'New password', { id: 'admin-password-password', autocomplete: 'new-password' });

  root.append(el('div', { class: 'toolbar' }, button('Refresh', reload), status),
    card('Admin accounts',
      el('p', { class: 'help' }, 'The built-in admin (user admin, the admin password) always works and can do '
        + 'everything; each account here signs in with its own name and password, and shows in the audit below. '
        + 'Role Admin: everything, as the built-in admin. Role Moderator: the dashboard and chat moderation '
        + '(messages, bans, chat moderators) only; no configuration, stream keys, accounts or other pages.'),
      accounts,
      el('h3', {}, 'Add an account'),
      el('div', { class: 'inline-form' }, newName, newPassword, newRole,
        button('Create account', async () => {
          const done = await act(() => postJSON('/api/admin/accounts/create',
            { username: newName.value.trim(), password: newPassword.value, role: newRole.value }), 'Created');
          if (done) { newName.value = ''; newPassword.value = ''; }
        }, 'primary')),
      el('h3', {}, 'Change an account\'s password'),
      el('div', { class: 'inline-form' }, pwName, pwPassword,
        button('Change password', async () => {
          const done = await act(() => postJSON('/api/admin/accounts/password',
            { username: pwName.value.trim(), password: pwPassword.value }), 'Password changed');
          if (done) pwPassword.value = '';
        }))),
    card('Recent changes', audit));
  reload();
}
