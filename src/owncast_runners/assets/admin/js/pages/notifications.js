// Notifications sent when the stream goes live: Discord and browser push.
import { card, objectSetting, serverConfig } from '../forms.js';

export async function render(root) {
  const c = await serverConfig();
  const n = c.notifications || {};
  root.append(
    card('Discord', objectSetting({
      name: 'notifications/discord', value: n.discord,
      fields: [
        { key: 'enabled', label: 'Enabled', type: 'checkbox' },
        { key: 'webhook', label: 'Discord webhook URL', type: 'url' },
        { key: 'goLiveMessage', label: 'Go-live message' },
      ],
    })),
    card('Browser notifications', objectSetting({
      name: 'notifications/browser', value: n.browser,
      help: 'Viewers who subscribe get a push notification when you go live.',
      fields: [
        { key: 'enabled', label: 'Enabled', type: 'checkbox' },
        { key: 'goLiveMessage', label: 'Go-live message' },
      ],
    })));
}
