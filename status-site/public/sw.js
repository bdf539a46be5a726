/**
 * Lifeline's service worker, registered by the admin alerts page (src/client/push.ts) with the scope
 * `/admin/`, and by a status page's browser notifications page (src/client/visitor-push.ts) with the
 * page's scope. It only shows notifications: a push carries JSON `{title, body, url, tag, alerts}`
 * (alerts/src/engine/dispatch.ts); a click focuses a Lifeline tab already on that URL or opens it. It has
 * no fetch handler: nothing is cached, every page still comes from the server.
 */
/* Plain JavaScript served as is (a service worker must keep a stable URL, so it is not bundled). */

/**
 * The notification a push payload asks for. Anything unreadable still shows a notification, since a
 * subscription with userVisibleOnly must show one for every push.
 * @param {unknown} payload
 */
function notificationFor(payload) {
  const p = payload && typeof payload === 'object' ? /** @type {Record<string, unknown>} */ (payload) : {};
  const str = (v, fallback) => (typeof v === 'string' && v ? v : fallback);
  const url = str(p.url, '/admin/alerts');
  return {
    title: str(p.title, 'Lifeline alert'),
    options: {
      body: str(p.body, ''),
      tag: str(p.tag, 'lifeline-alert'),
      renotify: typeof p.tag === 'string',
      icon: '/favicon.svg',
      data: { url: new URL(url, self.location.origin).href },
    },
  };
}

/** Shows a push payload as a notification. */
function showPush(payload) {
  const n = notificationFor(payload);
  return self.registration.showNotification(n.title, n.options);
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = event.data ? { body: event.data.text() } : null;
  }
  event.waitUntil(showPush(payload));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = event.notification.data?.url ?? new URL('/admin/alerts', self.location.origin).href;
  event.waitUntil(
    (async () => {
      // Only our own origin's pages: a payload cannot send the admin elsewhere.
      const url = new URL(target, self.location.origin);
      const href = url.origin === self.location.origin ? url.href : `${self.location.origin}/admin/alerts`;
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.url === href);
      if (open) return open.focus();
      return self.clients.openWindow(href);
    })(),
  );
});
