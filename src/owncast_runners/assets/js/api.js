// Same-origin JSON helpers for the public and admin APIs.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = (body && (body.message || body.error)) || (typeof body === 'string' && body) || response.statusText;
    throw new ApiError(response.status, message);
  }
  return body;
}

export async function getJSON(url) {
  return parse(await fetch(url, { cache: 'no-store', credentials: 'same-origin' }));
}

export async function postJSON(url, payload) {
  return parse(await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload ?? {}),
  }));
}

/** Calls `onStatus(status)` with /api/status now and every `intervalMs`; returns a stop function. */
export function watchStatus(onStatus, intervalMs = 5000) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      onStatus(await getJSON('/api/status'));
    } catch (error) {
      console.warn('status poll failed', error);
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Apply the streamer's customisation from /api/config: custom CSS and appearance variables. */
export function applyCustomisation(config) {
  for (const [name, value] of Object.entries(config.appearanceVariables || {})) {
    if (name.startsWith('--')) document.documentElement.style.setProperty(name, value);
  }
  if (config.customStyles) {
    const style = document.createElement('style');
    style.id = 'custom-styles';
    style.textContent = config.customStyles;
    document.head.append(style);
  }
}
