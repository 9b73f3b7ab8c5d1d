// The "Follow" button of the viewer page (shown when /api/config says `federation.enabled`): a
// dialog asks for the viewer's Fediverse account, POST /api/remotefollow {account} answers with
// `redirectUrl`, their own server's page for following this stream, and the browser goes there
// (only to an http(s) URL). The server's error messages are shown as it words them.
import { el, clear, icon } from './dom.js';
import { postJSON } from './api.js';
import { Modal, isWebUrl, statusLine } from './dialog.js';

function followDialog(config) {
  const federation = config.federation || {};
  const modal = new Modal(`Follow ${config.name || 'this stream'}`, { className: 'follow-dialog' });
  const status = statusLine();
  const input = el('input', { type: 'text', name: 'account', required: true, autocomplete: 'username',
    placeholder: '@you@your.server', spellcheck: 'false' });
  const button = el('button', { type: 'submit', class: 'primary' }, 'Follow');
  const submit = async (event) => {
    event.preventDefault();
    const account = input.value.trim();
    if (!account) return;
    button.disabled = true;
    status.show('Looking up your account…');
    try {
      const reply = await postJSON('/api/remotefollow', { account });
      if (!reply || !isWebUrl(reply.redirectUrl)) throw new Error('Your server did not offer a page to follow from.');
      status.show('Taking you to your server…');
      window.location.assign(reply.redirectUrl);
    } catch (error) {
      status.show(error.message || 'Unable to follow.', 'error');
      button.disabled = false;
    }
  };
  const followers = federation.followerCount
    ? el('div', { class: 'follow-count' }, `${federation.followerCount} ${federation.followerCount === 1
      ? 'follower' : 'followers'}`) : null;
  clear(modal.body,
    el('p', {}, "By following this stream you'll get notified on the Fediverse when it goes live."),
    el('div', { class: 'follow-account' },
      el('img', { src: config.logo || '/logo', alt: '', width: 48, height: 48 }),
      el('div', {}, el('strong', {}, config.name || ''), el('div', {}, `@${federation.account}`), followers)),
    el('form', { class: 'modal-form', onsubmit: submit },
      el('label', {}, 'Your Fediverse account', input), status.node,
      el('p', { class: 'modal-note' }, "You'll be taken to your Fediverse server to confirm."),
      el('div', { class: 'modal-buttons' }, button)),
    el('p', { class: 'modal-note' }, 'New to the Fediverse? ',
      el('a', { href: 'https://owncast.online/join-fediverse', target: '_blank', rel: 'noopener noreferrer' },
        'Learn about it and join'), '.'));
  return { modal, reset: () => { status.hide(); button.disabled = false; } };
}

/** Fill `root` with the Follow button when the server federates; leaves it hidden otherwise. */
export function renderFollow(root, config) {
  const federation = config.federation || {};
  if (!federation.enabled || !federation.account) {
    root.hidden = true;
    return;
  }
  let dialog = null;
  const button = el('button', { type: 'button', class: 'follow-button', 'aria-haspopup': 'dialog',
    title: `Follow @${federation.account} from your Fediverse account`,
    onclick: () => {
      dialog = dialog || followDialog(config);
      dialog.reset();
      dialog.modal.open();
    } }, icon('plus'), 'Follow');
  clear(root, button);
  root.hidden = false;
}
