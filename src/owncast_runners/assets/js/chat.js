// The chat panel: registers an anonymous user (identity.js, kept in localStorage), loads the history,
// talks to /ws?accessToken= (a frame may hold several JSON events separated by "\n"), and offers
// rename, colour, emoji and, for users with the MODERATOR scope, inline moderation. Its menu
// (the ⋮ button) holds "Change name or colour" and, on the viewer page when the server offers a
// method, "Authenticate" (signin.js). Authenticated users get a badge next to their name.
// Message bodies are the server's sanitised HTML; names and everything else are text.
import { el, clear, html, icon } from './dom.js';
import { ApiError, getJSON, postJSON } from './api.js';
import { ensureIdentity, loadIdentity, saveIdentity } from './identity.js';
import { SignInDialog, signInMethods, takeReturningSignIn } from './signin.js';

const MAX_MESSAGES = 500;
const USER_COLORS = 8;
const COMMON_EMOJI = ['😀', '😂', '😍', '😮', '😢', '👍', '👏', '🎉', '🔥', '❤️', '👋', '🙏'];

function socketUrl(override, token) {
  let base = new URL(window.location.href);
  if (override) {
    base = new URL(/^[a-z]+:\/\//i.test(override) ? override : `${window.location.protocol}//${override}`);
  }
  const protocol = base.protocol === 'https:' || base.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${protocol}//${base.host}/ws?accessToken=${encodeURIComponent(token)}`;
}

/** The badge of an authenticated user (IndieAuth or Fediverse), named for assistive technology. */
function authenticatedBadge() {
  return el('span', { class: 'chat-auth-badge', role: 'img', 'aria-label': 'Authenticated',
    title: 'Authenticated' }, icon('shield'));
}

function when(timestamp) {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class ChatPanel {
  /** `signIn`: offer "Authenticate" in the menu (the viewer page; an embed would come back to `/`). */
  constructor(root, { config, readonly = false, signIn = false }) {
    this.root = root;
    this.config = config;
    this.readonly = readonly;
    this.signInMethods = signIn && !readonly ? signInMethods(config) : [];
    this.returningFrom = this.signInMethods.length ? takeReturningSignIn() : null;
    this.identity = loadIdentity();
    this.user = null;
    this.socket = null;
    this.retryMs = 1000;
    this.removed = false;
    this.emoji = [];
    this.build();
  }

  build() {
    this.list = el('ol', { class: 'chat-messages', 'aria-live': 'polite' });
    this.notice = el('div', { class: 'chat-notice', hidden: true });
    this.root.classList.add('chat');
    if (this.readonly) {
      clear(this.root, this.list, this.notice);
      return;
    }
    this.nameButton = el('button', { type: 'button', class: 'chat-me', title: 'Change your name or colour',
      onclick: () => this.toggleSettings() }, '…');
    this.meBadge = authenticatedBadge();
    this.meBadge.hidden = true;
    this.nameInput = el('input', { type: 'text', maxlength: 30, 'aria-label': 'Your chat name' });
    this.swatches = el('div', { class: 'chat-swatches' },
      Array.from({ length: USER_COLORS }, (_, i) => el('button', {
        type: 'button', class: `swatch user-bg-${i}`, title: `Colour ${i + 1}`, dataset: { color: i },
        onclick: () => this.recolor(i),
      })));
    this.settings = el('form', { class: 'chat-settings', hidden: true, onsubmit: (e) => this.rename(e) },
      el('label', {}, 'Name ', this.nameInput), el('button', { type: 'submit' }, 'Save'), this.swatches);
    this.input = el('textarea', { class: 'chat-input', rows: 1, placeholder: 'Send a message…', maxlength: 500,
      'aria-label': 'Chat message', onkeydown: (e) => this.onKey(e) });
    this.emojiPicker = el('div', { class: 'chat-emoji', hidden: true });
    const emojiButton = el('button', { type: 'button', class: 'chat-emoji-button', title: 'Emoji',
      'aria-label': 'Emoji', onclick: () => this.toggleEmoji() }, icon('smile'));
    this.form = el('form', { class: 'chat-form', onsubmit: (e) => { e.preventDefault(); this.sendMessage(); } },
      this.input, emojiButton, el('button', { type: 'submit', class: 'chat-send' }, 'Send'));
    clear(this.root, el('div', { class: 'chat-header' }, el('span', {}, 'Chat'),
      el('div', { class: 'chat-header-end' }, this.meBadge, this.nameButton, this.buildMenu())),
    this.settings, this.list, this.notice, this.emojiPicker, this.form);
  }

  toggleSettings(show = this.settings.hidden) {
    this.settings.hidden = !show;
    if (show) this.nameInput.focus();
  }

  /** The ⋮ menu button and its menu (ARIA menu pattern: arrows move, Esc closes, focus returns). */
  buildMenu() {
    const items = [el('button', { type: 'button', role: 'menuitem', tabindex: -1,
      onclick: () => { close(true); this.toggleSettings(true); } }, 'Change name or colour')];
    if (this.signInMethods.length) {
      items.push(el('button', { type: 'button', role: 'menuitem', tabindex: -1, class: 'chat-menu-signin',
        onclick: () => { close(true); this.openSignIn(); } }, 'Authenticate'));
    }
    const button = el('button', { type: 'button', class: 'chat-menu-button', 'aria-label': 'Chat menu',
      title: 'Chat menu', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'chat-menu',
      onclick: () => (menu.hidden ? open() : close()) }, icon('menu'));
    const menu = el('div', { class: 'chat-menu', id: 'chat-menu', role: 'menu', hidden: true,
      'aria-label': 'Chat', onkeydown: (event) => {
        const index = items.indexOf(document.activeElement);
        const move = { ArrowDown: 1, ArrowUp: -1 }[event.key];
        if (move) {
          event.preventDefault();
          items[(index + move + items.length) % items.length].focus();
        } else if (event.key === 'Home' || event.key === 'End') {
          event.preventDefault();
          items[event.key === 'Home' ? 0 : items.length - 1].focus();
        } else if (event.key === 'Escape' || event.key === 'Tab') {
          if (event.key === 'Escape') event.preventDefault();
          close(event.key === 'Escape');
        }
      } }, items);
    const outside = (event) => { if (!wrapper.contains(event.target)) close(false); };
    const open = () => {
      menu.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      items[0].focus();
      document.addEventListener('pointerdown', outside);
    };
    const close = (refocus = false) => {
      menu.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      document.removeEventListener('pointerdown', outside);
      if (refocus) button.focus();
    };
    const wrapper = el('div', { class: 'chat-menu-wrap' }, button, menu);
    this.menuButton = button;
    return wrapper;
  }

  openSignIn() {
    if (!this.signInDialog) {
      this.signInDialog = new SignInDialog({ methods: this.signInMethods, currentUser: () => this.user,
        onSignedIn: (text) => this.addLocalLine(text) });
    }
    this.signInDialog.open();
  }

  /** A line only this viewer sees (not from the server). */
  addLocalLine(text) {
    this.push(el('li', { class: 'chat-line chat-local', role: 'status' }, text));
  }

  async start() {
    if (this.config.chatDisabled) {
      this.showNotice('Chat is disabled.');
      if (this.form) this.form.hidden = true;
      return;
    }
    try {
      await this.ensureIdentity();
    } catch (error) {
      this.showNotice('Chat is not available right now. Retrying…');
      setTimeout(() => this.start(), 10000);
      return;
    }
    try {
      await this.loadHistory();
    } catch (error) {
      console.warn('chat history failed', error);
    }
    this.connect();
    if (!this.readonly) this.loadEmoji();
  }

  async ensureIdentity(force = false) {
    if (this.identity && !force) return;
    this.identity = await ensureIdentity(force);
  }

  async loadHistory() {
    let events;
    try {
      events = await getJSON(`/api/chat?accessToken=${encodeURIComponent(this.identity.accessToken)}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      await this.ensureIdentity(true);
      events = await getJSON(`/api/chat?accessToken=${encodeURIComponent(this.identity.accessToken)}`);
    }
    clear(this.list);
    for (const event of events || []) this.handle(event);
  }

  connect() {
    const socket = new WebSocket(socketUrl(this.config.socketHostOverride, this.identity.accessToken));
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 1000;
      this.hideNotice();
    });
    socket.addEventListener('message', (message) => {
      for (const line of String(message.data).split('\n')) {
        if (!line.trim()) continue;
        try {
          this.handle(JSON.parse(line));
        } catch (error) {
          console.warn('bad chat event', line, error);
        }
      }
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket || this.removed) return;
      this.showNotice('Reconnecting to chat…');
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 15000);
    });
  }

  send(event) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(event));
      return true;
    }
    return false;
  }

  async handle(event) {
    switch (event.type) {
      case 'CONNECTED_USER_INFO':
        this.setUser(event.user);
        break;
      case 'CHAT':
        if (event.visible !== false) this.addMessage(event);
        break;
      case 'USER_JOINED':
        this.addLine(event, `${event.user?.displayName ?? 'Someone'} joined the chat.`);
        break;
      case 'USER_PARTED':
        this.addLine(event, `${event.user?.displayName ?? 'Someone'} left the chat.`);
        break;
      case 'NAME_CHANGE':
        this.addLine(event, `${event.oldName} is now known as ${event.user?.displayName}.`);
        break;
      case 'VISIBILITY-UPDATE':
        this.setVisibility(event.ids || [], event.visible);
        break;
      case 'SYSTEM':
      case 'CHAT_ACTION':
        this.addHtmlLine(event, event.type === 'SYSTEM' ? 'system' : 'action');
        break;
      case 'FEDIVERSE_ENGAGEMENT_FOLLOW':
      case 'FEDIVERSE_ENGAGEMENT_LIKE':
      case 'FEDIVERSE_ENGAGEMENT_REPOST':
        this.addHtmlLine(event, 'fediverse');
        break;
      case 'ERROR_NEEDS_REGISTRATION':
        this.socket = null;
        await this.ensureIdentity(true);
        this.connect();
        break;
      case 'ERROR_USER_DISABLED':
        this.removed = true;
        this.showNotice('You have been removed from chat.');
        if (this.form) this.form.hidden = true;
        break;
      case 'ERROR_MAX_CONNECTIONS_EXCEEDED':
        this.showNotice('Chat is full right now, try again later.');
        break;
      default:
        break;
    }
  }

  setUser(user) {
    this.user = user;
    this.identity = { ...this.identity, id: user.id, displayName: user.displayName };
    saveIdentity(this.identity);
    this.root.classList.toggle('is-moderator', (user.scopes || []).includes('MODERATOR'));
    this.root.dataset.userId = user.id;
    for (const item of this.list?.querySelectorAll('.chat-message') ?? []) {
      const ban = item.querySelector('.chat-ban');
      if (ban) ban.hidden = item.dataset.userId === user.id;
    }
    this.root.classList.toggle('is-authenticated', Boolean(user.authenticated));
    if (!this.nameButton) return;
    if (this.returningFrom) {
      if (user.authenticated) this.addLocalLine(`You are now authenticated with ${this.returningFrom}.`);
      this.returningFrom = null;
    }
    this.meBadge.hidden = !user.authenticated;
    this.nameButton.textContent = user.displayName;
    this.nameButton.className = `chat-me user-color-${user.displayColor ?? 0}`;
    this.nameInput.value = user.displayName;
    for (const swatch of this.swatches.children) {
      swatch.classList.toggle('is-current', Number(swatch.dataset.color) === user.displayColor);
    }
  }

  atBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
  }

  push(item) {
    const stick = this.atBottom();
    this.list.append(item);
    while (this.list.children.length > MAX_MESSAGES) this.list.firstElementChild.remove();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }

  addMessage(event) {
    const user = event.user || {};
    const body = html(el('div', { class: 'chat-body' }), event.body);
    const item = el('li', { class: 'chat-message', dataset: { id: event.id, userId: user.id ?? '' } },
      el('div', { class: 'chat-meta' },
        el('span', { class: `chat-author user-color-${user.displayColor ?? 0}` }, user.displayName ?? ''),
        user.authenticated ? authenticatedBadge() : null,
        user.isBot ? el('span', { class: 'chat-badge' }, 'bot') : null,
        (user.scopes || []).includes('MODERATOR') ? el('span', { class: 'chat-badge' }, 'mod') : null,
        el('time', { datetime: event.timestamp }, when(event.timestamp)),
        this.readonly ? null : this.moderationTools(event)),
      body);
    this.push(item);
  }

  moderationTools(event) {
    const userId = event.user?.id;
    // No Ban for bots (integrations are managed by access tokens) or for one's own messages.
    const bannable = userId && !event.user.isBot;
    return el('span', { class: 'chat-mod-tools' },
      el('button', { type: 'button', title: 'Hide this message', onclick: () => this.hideMessage(event.id) }, 'Hide'),
      bannable ? el('button', { type: 'button', class: 'chat-ban', title: 'Remove this user from chat',
        hidden: userId === this.user?.id, onclick: () => this.disableUser(userId, event.user.displayName) },
      'Ban') : null);
  }

  addLine(event, text) {
    this.push(el('li', { class: 'chat-line', dataset: { id: event.id ?? '' } }, text));
  }

  addHtmlLine(event, kind) {
    const body = html(el('div', { class: 'chat-body' }), event.body);
    const title = event.title ? el('strong', {}, event.title) : null;
    const image = event.image ? el('img', { class: 'chat-avatar', src: event.image, alt: '' }) : null;
    this.push(el('li', { class: `chat-line chat-${kind}`, dataset: { id: event.id ?? '' } }, image, title, body));
  }

  setVisibility(ids, visible) {
    for (const id of ids) {
      for (const item of this.list.querySelectorAll('.chat-message')) {
        if (item.dataset.id === id) item.hidden = !visible;
      }
    }
  }

  showNotice(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  hideNotice() {
    this.notice.hidden = true;
  }

  onKey(event) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      this.sendMessage();
    }
  }

  withEmojiImages(text) {
    return text.replace(/:([\w+-]+):/g, (match, name) => {
      const emoji = this.emoji.find((e) => e.name === name);
      return emoji ? `<img src="${emoji.url}" alt=":${name}:" title=":${name}:" class="emoji">` : match;
    });
  }

  sendMessage() {
    const text = this.input.value.trim();
    if (!text) return;
    const body = this.withEmojiImages(text);
    if (JSON.stringify({ type: 'CHAT', body }).length > (this.config.maxSocketPayloadSize || 2048)) {
      this.showNotice('That message is too long.');
      return;
    }
    if (this.send({ type: 'CHAT', body })) {
      this.input.value = '';
      this.emojiPicker.hidden = true;
    }
  }

  rename(event) {
    event.preventDefault();
    const newName = this.nameInput.value.trim();
    if (newName && newName !== this.user?.displayName) this.send({ type: 'NAME_CHANGE', newName });
    this.settings.hidden = true;
  }

  recolor(color) {
    // The server stores it silently (a new CONNECTED_USER_INFO may or may not follow): show it now.
    if (this.send({ type: 'COLOR_CHANGE', newColor: color }) && this.user) {
      this.setUser({ ...this.user, displayColor: color });
    }
  }

  async loadEmoji() {
    try {
      this.emoji = (await getJSON('/api/emoji')) || [];
    } catch {
      this.emoji = [];
    }
    const insert = (text) => {
      const { selectionStart: start, selectionEnd: end, value } = this.input;
      this.input.value = value.slice(0, start) + text + value.slice(end);
      this.input.focus();
      this.input.selectionStart = this.input.selectionEnd = start + text.length;
    };
    clear(this.emojiPicker,
      this.emoji.map((e) => el('button', { type: 'button', title: `:${e.name}:`, onclick: () => insert(`:${e.name}:`) },
        el('img', { src: e.url, alt: `:${e.name}:`, loading: 'lazy' }))),
      COMMON_EMOJI.map((c) => el('button', { type: 'button', onclick: () => insert(c) }, c)));
  }

  toggleEmoji() {
    this.emojiPicker.hidden = !this.emojiPicker.hidden;
  }

  moderatorUrl(path) {
    return `${path}?accessToken=${encodeURIComponent(this.identity.accessToken)}`;
  }

  async hideMessage(id) {
    try {
      await postJSON(this.moderatorUrl('/api/chat/messagevisibility'), { idArray: [id], visible: false });
    } catch (error) {
      this.showNotice(`Could not hide the message: ${error.message}`);
    }
  }

  async disableUser(userId, name) {
    if (!window.confirm(`Remove ${name} from chat? Their messages will be hidden.`)) return;
    try {
      await postJSON(this.moderatorUrl('/api/chat/users/setenabled'), { userId, enabled: false });
    } catch (error) {
      this.showNotice(`Could not remove ${name}: ${error.message}`);
    }
  }
}
