// The service worker behind the viewer page's "Notify me" button, served at /serviceworker.js so
// its scope is the whole site (a classic script, not a module). When the stream goes live the
// server pushes JSON {"title": <server name>, "body": <go-live message>, "icon": "/logo/external"};
// this shows it, and a click on the notification brings the viewer page up.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function readPayload(data) {
  if (!data) return {};
  try {
    const payload = data.json();
    return payload && typeof payload === 'object' ? payload : {};
  } catch {
    return { body: data.text() };
  }
}

self.addEventListener('push', (event) => {
  const { title, body, icon } = readPayload(event.data);
  event.waitUntil(self.registration.showNotification(title || 'Live now', {
    body: body || '',
    icon: icon || '/logo/external',
    tag: 'owncast-go-live',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const page = new URL('/', self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((client) => client.url.split('#')[0] === page);
    if (open) return open.focus();
    return self.clients.openWindow(page);
  })());
});
