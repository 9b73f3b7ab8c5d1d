// Logs: the server's recent log lines, or only warnings and errors.
import { el, clear } from '/js/dom.js';
import { getJSON } from '/js/api.js';
import { button, card, refresh, table, when } from '../forms.js';

export async function render(root) {
  const list = el('div');
  let warningsOnly = false;
  const load = async () => {
    const rows = (await getJSON(warningsOnly ? '/api/admin/logs/warnings' : '/api/admin/logs')) || [];
    return table([
      { label: 'Time', value: (r) => when(r.time) },
      { label: 'Level', value: (r) => el('span', { class: `level level-${String(r.level).toLowerCase()}` }, r.level) },
      { label: 'Message', value: (r) => el('span', { class: 'log-message' }, r.message) },
    ], [...rows].reverse(), { empty: 'No log lines.' });
  };
  const toggle = button('Warnings only', () => {
    warningsOnly = !warningsOnly;
    toggle.textContent = warningsOnly ? 'All lines' : 'Warnings only';
    refresh(list, load);
  });
  clear(root, el('div', { class: 'toolbar' }, button('Refresh', () => refresh(list, load)), toggle), card(null, list));
  await refresh(list, load);
  const timer = setInterval(() => refresh(list, load), 15000);
  return () => clearInterval(timer);
}
