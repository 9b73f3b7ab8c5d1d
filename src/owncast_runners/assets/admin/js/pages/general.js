// General: the server's identity and the viewer page (name, title, summary, messages, page
// content, tags, social links, logo, external actions, look).
import { el } from '/js/dom.js';
import { getJSON, postJSON } from '/js/api.js';
import { card, listSetting, run, serverConfig, setting, statusLine } from '../forms.js';

function logoUpload() {
  const input = el('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/svg+xml,image/webp' });
  const preview = el('img', { src: `/logo?t=${Date.now()}`, alt: 'Current logo', class: 'logo-preview' });
  const status = statusLine();
  input.addEventListener('change', () => {
    const file = input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => run(status, async () => {
      await postJSON('/api/admin/config/logo', { value: reader.result });
      preview.src = `/logo?t=${Date.now()}`;
    });
    reader.readAsDataURL(file);
  });
  return el('div', { class: 'setting' }, el('label', {}, 'Logo'), el('div', { class: 'setting-actions' }, preview, input, status));
}

export async function render(root) {
  const [config, platforms] = await Promise.all([serverConfig(), getJSON('/api/socialplatforms').catch(() => ({}))]);
  const d = config.instanceDetails || {};
  const platformOptions = Object.entries(platforms).map(([key, p]) => ({ value: key, label: p.platform || key }));
  root.append(
    card('Identity',
      setting({ name: 'name', label: 'Server name', value: d.name }),
      setting({ name: 'streamtitle', label: 'Stream title', value: d.streamTitle,
        help: 'Shown above the video and announced in chat when changed.' }),
      setting({ name: 'serversummary', label: 'Summary', type: 'textarea', value: d.summary }),
      logoUpload(),
      setting({ name: 'tags', label: 'Tags', type: 'list', value: d.tags }),
      setting({ name: 'nsfw', label: 'Content is NSFW', type: 'checkbox', value: d.nsfw })),
    card('Messages',
      setting({ name: 'welcomemessage', label: 'Chat welcome message (markdown)', type: 'textarea', value: d.welcomeMessage }),
      setting({ name: 'offlinemessage', label: 'Offline message (markdown)', type: 'textarea', value: d.offlineMessage })),
    card('Page content',
      setting({ name: 'pagecontent', label: 'About (markdown, shown under the video)', type: 'code', value: d.extraPageContent })),
    card('Social links', listSetting({
      name: 'socialhandles', value: d.socialHandles, addLabel: 'Add link',
      fields: [
        platformOptions.length
          ? { key: 'platform', label: 'Platform', type: 'select', options: platformOptions }
          : { key: 'platform', label: 'Platform' },
        { key: 'url', label: 'URL', type: 'url', placeholder: 'https://…' },
      ],
      newItem: () => ({ platform: platformOptions[0]?.value || '', url: '' }),
    })),
    card('External actions', listSetting({
      name: 'externalactions', value: config.externalActions, addLabel: 'Add action',
      help: 'Buttons under the video that open a page in a dialog (or a new tab).',
      fields: [
        { key: 'title', label: 'Title' },
        { key: 'url', label: 'URL', type: 'url' },
        { key: 'description', label: 'Description' },
        { key: 'icon', label: 'Icon URL' },
        { key: 'color', label: 'Colour', placeholder: '#7871ff' },
        { key: 'openExternally', label: 'New tab', type: 'checkbox' },
      ],
    })),
    card('Look and privacy',
      setting({ name: 'hideviewercount', label: 'Hide the viewer count', type: 'checkbox', value: config.hideViewerCount }),
      setting({ name: 'disablesearchindexing', label: 'Ask search engines not to index', type: 'checkbox',
        value: config.disableSearchIndexing }),
      setting({ name: 'customstyles', label: 'Custom CSS', type: 'code', value: d.customStyles }),
      setting({ name: 'customjavascript', label: 'Custom JavaScript (served at /customjavascript)', type: 'code',
        value: d.customJavascript })));
}
