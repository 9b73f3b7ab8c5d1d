// The "Notify me" button: go-live notifications through the browser's push service (Web Push).
// Shown when /api/config offers browser notifications and the browser can receive them. A click
// asks for permission, registers /serviceworker.js, subscribes with the server's VAPID key and
// registers the subscription under the viewer's chat user (identity.js: the chat's own user).
// Clicked again while on, it turns them off: the server forgets the subscription and the browser
// drops it.
import { el, clear, icon } from './dom.js';
import { postWithToken } from './identity.js';

const STATE_KEY = 'owncast.notify';
export const SERVICE_WORKER_URL = '/serviceworker.js';
const CHANNEL = 'BROWSER_PUSH_NOTIFICATION';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url (as the server publishes its VAPID public key) to bytes. */
export function base64UrlToBytes(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64.padEnd(Math.ceil(base64.length / 4) * 4, '=');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function sameBytes(buffer, bytes) {
  if (!buffer) return false;
  const other = new Uint8Array(buffer);
  return other.length === bytes.length && other.every((b, i) => b === bytes[i]);
}

/** The public key this browser subscribed with (stored), or null when not subscribed here. */
function subscribedKey() {
  try {
    return JSON.parse(localStorage.getItem(STATE_KEY))?.publicKey || null;
  } catch {
    return null;
  }
}

async function subscribe(publicKey) {
  await navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' });
  const registration = await navigator.serviceWorker.ready;
  const key = base64UrlToBytes(publicKey);
  const existing = await registration.pushManager.getSubscription();
  if (existing && sameBytes(existing.options?.applicationServerKey, key)) return existing;
  if (existing) await existing.unsubscribe(); // made with another key: the server changed its keys
  return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
}

async function tellServer(action, subscription) {
  const payload = { channel: CHANNEL, destination: JSON.stringify(subscription) };
  return postWithToken(`/api/notifications/${action}`, payload);
}

/** Fill `root` with the button when notifications are offered; leaves it hidden otherwise. */
export function renderNotify(root, config) {
  const browser = config.notifications?.browser || {};
  if (!browser.enabled || !browser.publicKey || !pushSupported()) {
    root.hidden = true;
    return;
  }
  const label = el('span', {});
  const status = el('span', { class: 'notify-status', role: 'status' });
  const button = el('button', { type: 'button', class: 'notify-button',
    title: 'Get a notification when the stream goes live' }, icon('bell'), label);
  const show = (on) => {
    button.setAttribute('aria-pressed', String(on));
    button.classList.toggle('is-on', on);
    label.textContent = on ? 'Notifications on' : 'Notify me';
    button.title = on ? 'Turn go-live notifications off' : 'Get a notification when the stream goes live';
  };
  show(subscribedKey() === browser.publicKey && Notification.permission === 'granted');

  const turnOff = async () => {
    const registration = await navigator.serviceWorker.getRegistration('/');
    const subscription = await registration?.pushManager.getSubscription();
    if (subscription) {
      await tellServer('unregister', subscription);
      await subscription.unsubscribe();
    }
    localStorage.removeItem(STATE_KEY);
    show(false);
    clear(status, 'Notifications are off.');
  };

  button.addEventListener('click', async () => {
    button.disabled = true;
    status.classList.remove('is-error');
    if (button.getAttribute('aria-pressed') === 'true') {
      clear(status, 'Turning notifications off…');
      try {
        await turnOff();
      } catch (error) {
        console.warn('turning notifications off failed', error);
        status.classList.add('is-error');
        clear(status, error.message || 'Could not turn notifications off.');
      } finally {
        button.disabled = false;
      }
      return;
    }
    clear(status, 'Setting up notifications…');
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        throw new Error(permission === 'denied'
          ? 'Notifications are blocked for this site in your browser settings.'
          : 'Notifications were not allowed.');
      }
      const subscription = await subscribe(browser.publicKey);
      await tellServer('register', subscription);
      localStorage.setItem(STATE_KEY, JSON.stringify({ publicKey: browser.publicKey }));
      show(true);
      clear(status, "You'll get a notification when the stream goes live.");
    } catch (error) {
      console.warn('notification registration failed', error);
      status.classList.add('is-error');
      clear(status, error.message || 'Could not turn notifications on.');
    } finally {
      button.disabled = false;
    }
  });
  clear(root, button, status);
  root.hidden = false;
}
