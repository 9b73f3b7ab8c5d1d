// Chat sign-in (reference §6.3), opened from the chat panel's menu: a dialog with one tab per
// method the server offers.
// - IndieAuth (when /api/config says `authentication.indieAuthEnabled`, i.e. the server URL is
//   set): the viewer's website -> POST /api/auth/indieauth?accessToken= {authHost} -> the browser
//   goes to the returned `redirect` (their site's authorization page), which sends it back through
//   /api/auth/indieauth/callback to `/`. A note in sessionStorage lets the page say so on return.
// - Fediverse (when `federation.enabled`): the account -> POST /api/auth/fediverse?accessToken=
//   {account} (the server sends a code by direct message) -> the code -> POST
//   /api/auth/fediverse/verify?accessToken= {code}: 200 signs in, 403 is a wrong or expired code.
// The server's own error messages are shown as it words them.
import { el, clear } from './dom.js';
import { ApiError } from './api.js';
import { postWithToken } from './identity.js';
import { Modal, isWebUrl, statusLine } from './dialog.js';

const RETURN_KEY = 'owncast.signin.pending';
const NOTE = 'This is for authentication only: no personal information is accessed or stored.';

export function signInMethods(config) {
  const methods = [];
  if (config.authentication?.indieAuthEnabled) methods.push('indieauth');
  if (config.federation?.enabled) methods.push('fediverse');
  return methods;
}

/** The website the viewer left for, if they just came back from an IndieAuth sign-in (once). */
export function takeReturningSignIn() {
  try {
    const pending = JSON.parse(sessionStorage.getItem(RETURN_KEY));
    sessionStorage.removeItem(RETURN_KEY);
    return pending?.website || null;
  } catch {
    return null;
  }
}

/** "example.org" -> "https://example.org"; anything with a scheme ("x://") is left to the server. */
export function websiteUrl(text) {
  const value = text.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
}

function intro(user, method) {
  if (user?.authenticated) {
    return el('p', {}, el('strong', {}, 'You are already authenticated.'),
      ' You can add another identity or sign in as a different chat user.');
  }
  const name = el('strong', {}, user?.displayName || 'your chat name');
  return method === 'indieauth'
    ? el('p', {}, 'Use your own website to authenticate ', name,
      ', or sign in as a chat user you authenticated before.')
    : el('p', {}, 'Receive a code by direct message on the Fediverse to link your account to ', name,
      ', or sign in as a chat user you linked before.');
}

export class SignInDialog {
  /** `methods`: from signInMethods(); `currentUser()`: the chat user now; `onSignedIn(text)`. */
  constructor({ methods, currentUser, onSignedIn }) {
    this.methods = methods;
    this.currentUser = currentUser;
    this.onSignedIn = onSignedIn;
    this.modal = new Modal('Authenticate', { className: 'signin-dialog' });
  }

  open() {
    this.build();
    this.modal.open();
  }

  build() {
    const titles = { indieauth: 'IndieAuth', fediverse: 'Fediverse' };
    const panels = { indieauth: () => this.indieAuthPanel(), fediverse: () => this.fediversePanel() };
    const tabs = this.methods.map((method) => el('button', {
      type: 'button', role: 'tab', id: `signin-tab-${method}`, 'aria-controls': `signin-panel-${method}`,
      dataset: { method }, onclick: () => select(method),
    }, titles[method]));
    const views = this.methods.map((method) => el('div', {
      role: 'tabpanel', id: `signin-panel-${method}`, 'aria-labelledby': `signin-tab-${method}`,
      class: 'signin-panel', dataset: { method },
    }, panels[method]()));
    const select = (method, focus = false) => {
      for (const tab of tabs) {
        const on = tab.dataset.method === method;
        tab.setAttribute('aria-selected', String(on));
        tab.tabIndex = on ? 0 : -1;
        if (on && focus) tab.focus();
      }
      for (const view of views) view.hidden = view.dataset.method !== method;
    };
    const tablist = el('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Sign-in method',
      onkeydown: (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        const index = tabs.findIndex((tab) => tab === document.activeElement);
        if (index < 0) return;
        event.preventDefault();
        select(this.methods[(index + step + tabs.length) % tabs.length], true);
      } }, tabs);
    clear(this.modal.body, tabs.length > 1 ? tablist : null, views);
    select(this.methods[0]);
  }

  indieAuthPanel() {
    const status = statusLine();
    const input = el('input', { type: 'text', inputmode: 'url', name: 'website', required: true,
      autocomplete: 'url', placeholder: 'https://your.website', spellcheck: 'false' });
    const button = el('button', { type: 'submit', class: 'primary' }, 'Sign in with IndieAuth');
    const submit = async (event) => {
      event.preventDefault();
      const website = websiteUrl(input.value);
      if (!input.value.trim()) return;
      button.disabled = true;
      status.show('Asking your website…');
      try {
        const reply = await postWithToken('/api/auth/indieauth', { authHost: website });
        if (!reply || !isWebUrl(reply.redirect)) throw new Error('The server did not say where to sign in.');
        sessionStorage.setItem(RETURN_KEY, JSON.stringify({ website }));
        status.show('Taking you to your website…');
        window.location.assign(reply.redirect);
      } catch (error) {
        status.show(error.message || 'Could not start the sign-in.', 'error');
        button.disabled = false;
      }
    };
    return [
      intro(this.currentUser(), 'indieauth'),
      el('form', { class: 'modal-form', onsubmit: submit },
        el('label', {}, 'Your website', input), status.node, el('div', { class: 'modal-buttons' }, button)),
      el('p', { class: 'modal-note' }, 'IndieAuth signs you in with your own domain. ',
        el('a', { href: 'https://indieauth.net/#providers', target: '_blank', rel: 'noopener noreferrer' },
          'How to make your website support it'), '.'),
      el('p', { class: 'modal-note' }, NOTE),
    ];
  }

  fediversePanel() {
    const root = el('div', {});
    const status = statusLine();
    const askAccount = (account = '') => {
      const input = el('input', { type: 'text', name: 'account', required: true, value: account,
        autocomplete: 'username', placeholder: '@you@your.server', spellcheck: 'false' });
      const button = el('button', { type: 'submit', class: 'primary' }, 'Send me a code');
      const submit = async (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) return;
        button.disabled = true;
        status.show('Sending a code…');
        try {
          await postWithToken('/api/auth/fediverse', { account: value });
          status.hide();
          askCode(value);
        } catch (error) {
          status.show(error.message || 'Could not send a code.', 'error');
          button.disabled = false;
        }
      };
      clear(root, intro(this.currentUser(), 'fediverse'),
        el('form', { class: 'modal-form', onsubmit: submit },
          el('label', {}, 'Your Fediverse account', input), status.node,
          el('div', { class: 'modal-buttons' }, button)),
        el('p', { class: 'modal-note' }, NOTE));
      return input;
    };
    const askCode = (account) => {
      const shown = account.startsWith('@') ? account : `@${account}`;
      const input = el('input', { type: 'text', name: 'code', required: true, inputmode: 'numeric',
        autocomplete: 'one-time-code', maxlength: 6, placeholder: '123456', pattern: '[0-9]{6}',
        title: 'The six digits of the code' });
      const button = el('button', { type: 'submit', class: 'primary' }, 'Verify code');
      const submit = async (event) => {
        event.preventDefault();
        button.disabled = true;
        status.show('Checking the code…');
        try {
          await postWithToken('/api/auth/fediverse/verify', { code: input.value.trim() });
          status.hide();
          this.modal.close();
          this.onSignedIn(`You are now authenticated as ${shown}.`);
        } catch (error) {
          const wrong = error instanceof ApiError && error.status === 403;
          status.show(wrong ? 'That code is wrong or has expired. Check it, or ask for a new code.'
            : error.message || 'Could not check the code.', 'error');
          button.disabled = false;
        }
      };
      clear(root,
        el('p', {}, 'A code was sent to ', el('strong', {}, shown),
          ' by direct message. Enter it here. If it does not arrive, check that your account accepts direct messages.'),
        el('form', { class: 'modal-form', onsubmit: submit },
          el('label', {}, 'Code', input), status.node,
          el('div', { class: 'modal-buttons' },
            el('button', { type: 'button', onclick: () => askAccount(account).focus() }, 'Use another account'),
            button)));
      input.focus();
    };
    askAccount();
    return root;
  }
}
