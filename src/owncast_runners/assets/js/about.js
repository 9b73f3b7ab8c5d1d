// The streamer's side of the viewer page, all from /api/config: identity, tags, social links,
// external actions and the page content.
import { el, clear, html } from './dom.js';

export function renderIdentity(config) {
  document.title = config.name || 'Owncast';
  for (const node of document.querySelectorAll('[data-server-name]')) node.textContent = config.name || '';
  for (const img of document.querySelectorAll('img[data-logo]')) img.src = config.logo || '/logo';
}

export function socialLinks(handles = []) {
  return el('ul', { class: 'social-links' }, handles.filter((h) => h.url).map((h) =>
    el('li', {}, el('a', { href: h.url, target: '_blank', rel: 'noopener noreferrer me', title: h.platform },
      el('img', { src: h.icon || '/img/platformlogos/link.svg', alt: h.platform || 'link', width: 24, height: 24 })))));
}

export function tagList(tags = []) {
  return el('ul', { class: 'tags' }, tags.map((tag) => el('li', {}, `#${tag}`)));
}

function openAction(action, dialog) {
  const frame = action.html
    ? el('iframe', { sandbox: 'allow-scripts allow-popups allow-forms', srcdoc: action.html, title: action.title })
    : el('iframe', { src: action.url, title: action.title, allow: 'fullscreen' });
  clear(dialog,
    el('div', { class: 'action-dialog-bar' }, el('strong', {}, action.title || ''),
      el('button', { type: 'button', 'aria-label': 'Close', onclick: () => dialog.close() }, '✕')),
    frame);
  dialog.showModal();
}

export function externalActions(actions = []) {
  const dialog = el('dialog', { class: 'action-dialog' });
  const buttons = actions.map((action) => {
    const icon = action.icon ? el('img', { src: action.icon, alt: '', width: 20, height: 20 }) : null;
    const style = action.color ? `--action-color: ${action.color}` : null;
    if (action.openExternally && action.url) {
      return el('a', { class: 'action-button', href: action.url, target: '_blank', rel: 'noopener noreferrer',
        title: action.description || null, style }, icon, action.title);
    }
    return el('button', { type: 'button', class: 'action-button', title: action.description || null, style,
      onclick: () => openAction(action, dialog) }, icon, action.title);
  });
  return el('div', { class: 'external-actions' }, buttons, dialog);
}

export function renderAbout(root, config) {
  const federation = config.federation || {};
  clear(root,
    el('div', { class: 'about-head' },
      el('img', { class: 'about-logo', src: config.logo || '/logo', alt: '' }),
      el('div', {},
        el('h2', {}, config.name || ''),
        config.summary ? el('p', { class: 'summary' }, config.summary) : null,
        federation.enabled && federation.account
          ? el('p', { class: 'fediverse' }, `Follow on the Fediverse: @${federation.account}`) : null)),
    tagList(config.tags),
    socialLinks(config.socialHandles),
    config.extraPageContent ? html(el('div', { class: 'page-content' }), config.extraPageContent) : null);
}
