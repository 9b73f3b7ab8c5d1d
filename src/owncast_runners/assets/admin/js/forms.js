// Building blocks of the admin pages: cards, config settings saved one by one through
// POST /api/admin/config/<name> {value}, editors for lists of objects, and tables.
import { el, clear } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';

export const serverConfig = () => getJSON('/api/admin/serverconfig');

export function card(title, ...children) {
  return el('section', { class: 'card' }, title ? el('h2', {}, title) : null, children);
}

export function statusLine() {
  return el('span', { class: 'save-status', role: 'status' });
}

export async function run(status, action, done = 'Saved') {
  status.textContent = 'Saving…';
  status.className = 'save-status';
  try {
    const result = await action();
    status.textContent = done;
    status.classList.add('ok');
    return result;
  } catch (error) {
    status.textContent = error.message || 'Failed';
    status.classList.add('error');
    return undefined;
  }
}

export function saveConfig(name, value) {
  return postJSON(`/api/admin/config/${name}`, { value });
}

function inputFor(type, value, options) {
  switch (type) {
    case 'textarea':
    case 'code':
      return el('textarea', { rows: type === 'code' ? 8 : 4, class: type, value: value ?? '' });
    case 'list':
      return el('textarea', { rows: 3, value: (value || []).join('\n'), placeholder: 'one per line' });
    case 'checkbox':
      return el('input', { type: 'checkbox', checked: Boolean(value) });
    case 'select':
      return el('select', {}, options.map((o) =>
        el('option', { value: o.value, selected: String(o.value) === String(value) }, o.label)));
    default:
      return el('input', { type, value: value ?? '' });
  }
}

function readInput(input, type) {
  if (type === 'checkbox') return input.checked;
  if (type === 'number') return Number(input.value);
  if (type === 'list') return input.value.split('\n').map((s) => s.trim()).filter(Boolean);
  if (type === 'select' && input.dataset.numeric === 'true') return Number(input.value);
  return input.value;
}

/**
 * One configuration value: setting({name: 'streamtitle', label, value, type, help, options}).
 * Checkboxes save as soon as they change; other inputs have a Save button (Enter works too).
 */
export function setting({ name, label, value, type = 'text', help, options, numeric = false }) {
  const input = inputFor(type, value, options);
  input.id = `setting-${name.replaceAll('/', '-')}`;
  input.name = name;
  if (numeric) input.dataset.numeric = 'true';
  const status = statusLine();
  const save = () => run(status, () => saveConfig(name, readInput(input, type)));
  const row = el('div', { class: `setting setting-${type}` },
    el('label', { for: input.id }, label),
    input);
  if (type === 'checkbox') {
    input.addEventListener('change', save);
    row.append(status);
  } else {
    if (type !== 'textarea' && type !== 'code' && type !== 'list') {
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); save(); } });
    }
    row.append(el('div', { class: 'setting-actions' }, el('button', { type: 'button', onclick: save }, 'Save'), status));
  }
  if (help) row.append(el('p', { class: 'help' }, help));
  return row;
}

function fieldInput(field, value) {
  if (field.type === 'checkbox') return el('input', { type: 'checkbox', checked: Boolean(value), 'aria-label': field.label });
  if (field.type === 'select') {
    return el('select', { 'aria-label': field.label }, field.options.map((o) =>
      el('option', { value: o.value, selected: String(o.value) === String(value ?? field.default ?? '') }, o.label)));
  }
  return el('input', { type: field.type || 'text', value: value ?? field.default ?? '', placeholder: field.placeholder || null,
    'aria-label': field.label });
}

function fieldValue(field, input) {
  if (field.type === 'checkbox') return input.checked;
  if (field.type === 'number' || field.numeric) return input.value === '' ? 0 : Number(input.value);
  return input.value;
}

/** The fields of one object as inputs; returns {node, read()}. */
export function objectFields(fields, value = {}) {
  const inputs = fields.map((f) => [f, fieldInput(f, value[f.key])]);
  const node = el('div', { class: 'object-fields' }, inputs.map(([f, input]) =>
    el('label', { class: `field field-${f.type || 'text'}` }, el('span', {}, f.label), input)));
  const read = () => Object.fromEntries(inputs.map(([f, input]) => [f.key, fieldValue(f, input)]));
  return { node, read };
}

/** An object-valued setting (e.g. s3, notifications/discord) saved whole. */
export function objectSetting({ name, fields, value, help }) {
  const { node, read } = objectFields(fields, value || {});
  const status = statusLine();
  return el('div', { class: 'setting setting-object' }, node,
    help ? el('p', { class: 'help' }, help) : null,
    el('div', { class: 'setting-actions' },
      el('button', { type: 'button', onclick: () => run(status, () => saveConfig(name, read())) }, 'Save'), status));
}

/**
 * A list of objects edited as rows (stream keys, social handles, variants, external actions)
 * and saved whole to `name`. `newItem()` gives the values of an added row.
 */
export function listSetting({ name, fields, value, newItem = () => ({}), addLabel = 'Add', help, clean = (x) => x }) {
  const rows = el('div', { class: 'list-rows' });
  const readers = new Map();
  const addRow = (item) => {
    const { node, read } = objectFields(fields, item);
    const row = el('div', { class: 'list-row' }, node);
    row.append(el('button', { type: 'button', class: 'danger', 'aria-label': 'Remove',
      onclick: () => { readers.delete(row); row.remove(); } }, 'Remove'));
    readers.set(row, read);
    rows.append(row);
  };
  (value || []).forEach(addRow);
  const status = statusLine();
  const save = () => run(status, () => saveConfig(name, [...readers.values()].map((read) => clean(read()))));
  return el('div', { class: 'setting setting-rows' }, rows,
    help ? el('p', { class: 'help' }, help) : null,
    el('div', { class: 'setting-actions' },
      el('button', { type: 'button', onclick: () => addRow(newItem()) }, addLabel),
      el('button', { type: 'button', class: 'primary', onclick: save }, 'Save'), status));
}

function bitrateText(kbps) {
  if (!kbps) return '';
  if (kbps < 1000) return `${kbps}Kbps`;
  if (kbps % 1000 === 0) return `${kbps / 1000}Mbps`;
  // The server formats as Go and Python do: an exact tie (x.25) goes to the even digit (x.2),
  // where toFixed rounds up (x.3); every other value rounds the same in both.
  if (kbps % 1000 === 250) return `${Math.floor(kbps / 1000)}.2Mbps`;
  return `${(kbps / 1000).toFixed(1)}Mbps`;
}

/** The name the server gives a variant without a custom one (StreamOutputVariant.display_name). */
export function automaticName(v) {
  const rate = bitrateText(v.videoBitrate);
  if (v.videoPassthrough) return 'Source';
  if (v.scaledHeight === 720 && v.scaledWidth === 1080) return `720p @${rate}`;
  if (v.scaledHeight === 1080 && v.scaledWidth === 1920) return `1080p @${rate}`;
  if (v.scaledHeight) return `${v.scaledHeight}h`;
  if (v.scaledWidth) return `${v.scaledWidth}w`;
  return `${rate}@${v.framerate}fps`;
}

/** table([{label, value: row => node|text}], rows, {empty}) */
export function table(columns, rows, { empty = 'Nothing here yet.' } = {}) {
  if (!rows || rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c.label)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', {}, c.value(row))))))));
}

export function when(timestamp) {
  if (!timestamp) return '';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toLocaleString();
}

export function button(label, onclick, cls) {
  return el('button', { type: 'button', class: cls || null, onclick }, label);
}

/** Replace `node`'s content with whatever `load()` renders, showing load errors in place. */
export async function refresh(node, load) {
  try {
    clear(node, await load());
  } catch (error) {
    clear(node, el('p', { class: 'error' }, `Could not load: ${error.message}`));
  }
}
