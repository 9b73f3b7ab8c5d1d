// The viewer's chat user, shared by the chat panel, the notify button and chat sign-in: one user
// per browser, its token kept in localStorage. Concurrent callers share one registration.
import { ApiError, postJSON } from './api.js';

const IDENTITY_KEY = 'owncast.chat.identity';
let pending = null;

export function loadIdentity() {
  try {
    return JSON.parse(localStorage.getItem(IDENTITY_KEY)) || null;
  } catch {
    return null;
  }
}

export function saveIdentity(identity) {
  localStorage.setItem(IDENTITY_KEY, JSON.stringify(identity));
}

/**
 * The stored chat user ({id, accessToken, displayName}); registers one first when there is none,
 * or when `force` (the server no longer accepts the stored token), keeping the display name.
 */
export async function ensureIdentity(force = false) {
  const current = loadIdentity();
  if (current && !force) return current;
  if (!pending) {
    const body = current ? { displayName: current.displayName } : {};
    pending = postJSON('/api/chat/register', body).then((reply) => {
      const identity = { id: reply.id, accessToken: reply.accessToken, displayName: reply.displayName };
      saveIdentity(identity);
      return identity;
    }).finally(() => { pending = null; });
  }
  return pending;
}

/**
 * POST `payload` to `path?accessToken=<the viewer's token>`; when the server no longer knows the
 * stored token (401) a new chat user is registered and the call made once more, as chat does.
 */
export async function postWithToken(path, payload) {
  const send = (identity) => postJSON(`${path}?accessToken=${encodeURIComponent(identity.accessToken)}`, payload);
  try {
    return await send(await ensureIdentity());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    return send(await ensureIdentity(true));
  }
}
