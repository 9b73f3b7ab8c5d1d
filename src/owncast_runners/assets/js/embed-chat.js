// /embed/chat/readonly and /embed/chat/readwrite: the chat panel alone.
import { applyCustomisation, getJSON } from './api.js';
import { ChatPanel } from './chat.js';

const config = await getJSON('/api/config').catch(() => ({}));
applyCustomisation(config);
const readonly = !window.location.pathname.endsWith('/readwrite');
new ChatPanel(document.getElementById('chat'), { config, readonly }).start();
