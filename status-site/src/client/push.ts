/**
 * "Enable push on this browser" on the admin alerts page: registers the service worker (`/sw.js`, scope
 * `/admin/`), asks for permission, subscribes with the installation's VAPID public key (the form's
 * `data-key`), and posts the subscription with the session's CSRF token to the page, which stores it as a
 * web_push alert subscription. Says plainly when the browser cannot do push or permission was refused.
 */

import { keyBytes } from './push-key.ts';

const SW_URL = '/sw.js';
const SW_SCOPE = '/admin/';

export function setupPush(): void {
  const form = document.getElementById('push');
  const status = document.getElementById('push-status');
  if (!(form instanceof HTMLFormElement) || !status) return;
  const button = form.querySelector('button');
  const key = form.dataset.key ?? '';
  const say = (message: string, tone: 'meta' | 'error' | 'ok' = 'meta') => {
    status.textContent = message;
    status.className = tone === 'error' ? 'error' : tone === 'ok' ? 'ok-note' : 'meta';
  };
  if (!key || !button) return; // the page already says web push is unavailable on this server
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    say('This browser has no web push support: use email or a webhook instead.', 'error');
    return;
  }
  if (Notification.permission === 'denied') {
    say(
      'Notifications are blocked for this site in this browser: allow them in the site settings, then reload.',
      'error',
    );
    return;
  }
  say(
    new URLSearchParams(location.search).get('push') === 'on'
      ? 'Push is on: this browser will show alert notifications.'
      : 'Push is off on this browser.',
  );
  button.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      // Asked first, while the click still counts as the user's gesture.
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say(
          permission === 'denied'
            ? 'Permission was denied: this browser will not show alert notifications. Allow notifications for this site to try again.'
            : 'Permission was not given: push stays off.',
          'error',
        );
        return;
      }
      say('Subscribing…');
      await navigator.serviceWorker.register(SW_URL, { scope: SW_SCOPE, type: 'classic' });
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key),
        }));
      const body = new URLSearchParams();
      for (const [name, value] of new FormData(form)) if (typeof value === 'string') body.append(name, value);
      body.set('subscription', JSON.stringify(subscription));
      const res = await fetch(location.pathname, {
        method: 'POST',
        body,
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
      });
      if (res.status === 201) {
        say('Push is on: this browser will show alert notifications.', 'ok');
        location.assign(`${location.pathname}?push=on#push-h`);
      } else if (res.status === 409) say('This browser already receives alert notifications.', 'ok');
      else {
        const err = (await res.json().catch(() => null)) as { error?: string } | null;
        say(`The server refused the subscription: ${err?.error ?? `HTTP ${res.status}`}`, 'error');
      }
    } catch (err) {
      say(`Push could not be turned on: ${(err as Error).message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
}
