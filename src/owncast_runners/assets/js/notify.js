// The "Notify me" button: go-live notifications through the browser's push service (Web Push).
// Shown when /api/config offers browser notifications and the browser can receive them. A click
// asks for permission, registers /serviceworker.js, subscribes with the server's VAPID key and
// registers the subscription under the viewer's chat user (identity.js: the chat's own user).
import { el, clear, icon } from './dom.js';
import { ApiError, postJSON } from './api.js';
import { ensureIdentity } from './identity.js';

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

async function registerWithServer(subscription) {
  const payload = { channel: CHANNEL, destination: JSON.stringify(subscription) };
  const send = (identity) => postJSON(
    `/api/notifications/register?accessToken=${encodeURIComponent(identity.accessToken)}`, payload);
  try {
    return await send(await ensureIdentity());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    return send(await ensureIdentity(true)); // the stored token is no longer known, as chat does
  }
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
  };
  show(subscribedKey() === browser.publicKey && Notification.permission === 'granted');

  button.addEventListener('click', async () => {
    button.disabled = true;
    clear(status, 'Setting up notifications…');
    status.classList.remove('is-error');
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        throw new Error(permission === 'denied'
          ? 'Notifications are blocked for this site in your browser settings.'
          : 'Notifications were not allowed.');
      }
      const subscription = await subscribe(browser.publicKey);
      await registerWithServer(subscription);
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
