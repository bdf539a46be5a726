/**
 * The public subscribe forms' handler (an email address, or a Slack or Discord channel's webhook URL),
 * shared by `/subscribe` and `/s/<slug>/subscribe`.
 */
import type { PublicWorkspace, SiteContext } from '../read-model.ts';
import { basePath, onOwnDomain } from './format.ts';

export async function subscribe(site: SiteContext, ws: PublicWorkspace, request: Request): Promise<Response> {
  const back = (result: string) =>
    new Response(null, {
      status: 303,
      headers: {
        Location: `${basePath(ws, onOwnDomain(request))}/?subscribed=${result}#subscribe`,
        'Cache-Control': 'no-store',
      },
    });
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return back('invalid');
  }
  const channel = form.get('channel');
  if (channel === 'slack' || channel === 'discord') {
    const url = form.get('url');
    const outcome = await site.subscriptions.subscribeChat(
      ws.id,
      channel,
      typeof url === 'string' ? url.trim() : '',
      site.now(),
    );
    return back(outcome === 'subscribed' ? channel : outcome === 'invalid' ? 'invalid-url' : outcome);
  }
  const v = form.get('email');
  const email = typeof v === 'string' ? v.trim() : '';
  const outcome = await site.subscriptions.subscribeEmail(ws.id, email, site.now());
  return back(outcome === 'pending' ? 'email' : outcome);
}
