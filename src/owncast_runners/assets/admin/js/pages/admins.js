// Admins: the named admin accounts beside the built-in `admin`, and who changed what recently.
// Every name, path and message is set as text (el() never parses HTML).
import { el } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { button, card, refresh, run, statusLine, table, when } from '../forms.js';

function field(type, label, attrs = {}) {
  return el('input', { type, 'aria-label': label, placeholder: label, ...attrs });
}

export async function render(root) {
  const accounts = el('div');
  const audit = el('div');
  const status = statusLine();
  const reload = () => { refresh(accounts, loadAccounts); refresh(audit, loadAudit); };
  const act = (action, done) => run(status, action, done).then((result) => { reload(); return result; });

  const loadAccounts = async () => table([
    { label: 'Username', value: (a) => a.username },
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
    { label: 'Status', value: (e) => String(e.status) },
  ], await getJSON('/api/admin/audit'), { empty: 'No changes since the server started.' });

  const newName = field('text', 'Username', { id: 'admin-new-username', autocomplete: 'off', maxlength: 32 });
  const newPassword = field('password', 'Password (min. 8)',
    { id: 'admin-new-password', autocomplete: 'new-password' });
  const pwName = field('text', 'Username', { id: 'admin-password-username', autocomplete: 'off', maxlength: 32 });
  const pwPassword = field('password', 'New password', { id: 'admin-password-password', autocomplete: 'new-password' });

  root.append(el('div', { class: 'toolbar' }, button('Refresh', reload), status),
    card('Admin accounts',
      el('p', { class: 'help' }, 'The built-in admin (user admin, the admin password) always works; '
        + 'each account here signs in with its own name and password, and shows in the audit below.'),
      accounts,
      el('h3', {}, 'Add an account'),
      el('div', { class: 'inline-form' }, newName, newPassword,
        button('Create account', async () => {
          const done = await act(() => postJSON('/api/admin/accounts/create',
            { username: newName.value.trim(), password: newPassword.value }), 'Created');
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
