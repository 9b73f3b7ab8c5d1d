// Stream keys: the keys a broadcaster may publish with (rtmp://host/live/<key>).
import { el } from '/js/dom.js';
import { card, listSetting, serverConfig } from '../forms.js';

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, '').slice(0, 24);
}

export async function render(root) {
  const c = await serverConfig();
  root.append(card('Stream keys',
    c.streamKeyOverridden
      ? el('p', { class: 'warning' }, 'A stream key was given on the command line: only that key works until a restart.')
      : null,
    el('p', { class: 'help' }, 'Server: rtmp://<this host>/live · use one of these keys as the stream key.'),
    listSetting({
      name: 'streamkeys', value: c.streamKeys, addLabel: 'Generate a key',
      fields: [{ key: 'key', label: 'Key' }, { key: 'comment', label: 'Comment' }],
      newItem: () => ({ key: randomKey(), comment: '' }),
    })));
}
