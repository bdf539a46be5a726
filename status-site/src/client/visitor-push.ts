/**
 * "Notify this browser" on a status page's push page: registers the service worker (`/sw.js`, scoped to
 * the page), asks for permission on the visitor's click, subscribes with the installation's VAPID public
 * key and posts the subscription to `<page>/api/subscriptions`. "Turn off" unsubscribes the browser and
 * tells the server, proving the subscription by its auth secret. Says plainly when push cannot work.
 */

import { keyBytes } from './push-key.ts';

export function setupVisitorPush(): void {
  const root = document.getElementById('visitor-push');
  const status = document.getElementById('visitor-push-status');
  const on = document.getElementById('visitor-push-on');
  const off = document.getElementById('visitor-push-off');
  if (!root || !status || !(on instanceof HTMLButtonElement) || !(off instanceof HTMLButtonElement)) return;
  const key = root.dataset.key ?? '';
  const base = root.dataset.base ?? '';
  const scope = `${base}/`;
  const say = (message: string, tone: 'meta' | 'error' | 'ok' = 'meta') => {
    status.textContent = message;
    status.className = tone === 'error' ? 'error' : tone === 'ok' ? 'ok-note' : 'meta';
  };
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    say(
      'This browser cannot show push notifications: subscribe by email or follow the feed instead.',
      'error',
    );
    return;
  }
  const current = async () =>
    (await navigator.serviceWorker.getRegistration(scope))?.pushManager.getSubscription();
  const show = (subscribed: boolean) => {
    on.hidden = subscribed;
    off.hidden = !subscribed;
  };
  void current().then((s) => {
    show(Boolean(s));
    say(
      s
        ? 'This browser gets notifications of incidents and maintenance.'
        : 'Notifications are off in this browser.',
    );
  });
  on.addEventListener('click', async () => {
    on.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say(
          permission === 'denied'
            ? 'Notifications are blocked for this site: allow them in the browser’s site settings, then try again.'
            : 'Permission was not given: notifications stay off.',
          'error',
        );
        return;
      }
      say('Subscribing…');
      await navigator.serviceWorker.register('/sw.js', { scope, type: 'classic' });
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key),
        }));
      const res = await fetch(`${base}/api/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ channel: 'web_push', subscription: subscription.toJSON() }),
      });
      if (res.status === 201) {
        show(true);
        say('Done: this browser will show incident and maintenance updates.', 'ok');
      } else {
        const err = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        say(`The server refused the subscription: ${err?.error?.message ?? `HTTP ${res.status}`}`, 'error');
      }
    } catch (err) {
      say(`Notifications could not be turned on: ${(err as Error).message}`, 'error');
    } finally {
      on.disabled = false;
    }
  });
  off.addEventListener('click', async () => {
    off.disabled = true;
    try {
      const subscription = await current();
      if (subscription) {
        const auth = subscription.toJSON().keys?.auth ?? '';
        await fetch(`${base}/api/subscriptions/push/unsubscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ endpoint: subscription.endpoint, auth }),
        });
        await subscription.unsubscribe();
      }
      show(false);
      say('Notifications are off in this browser.', 'ok');
    } catch (err) {
      say(`Could not turn notifications off: ${(err as Error).message}`, 'error');
    } finally {
      off.disabled = false;
    }
  });
}
