/** The public subscribe form's handler, shared by `/subscribe` and `/s/<slug>/subscribe`. */
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
  let email = '';
  try {
    const v = (await request.formData()).get('email');
    email = typeof v === 'string' ? v.trim() : '';
  } catch {
    return back('invalid');
  }
  const outcome = await site.subscriptions.subscribeEmail(ws.id, email, site.now());
  return back(outcome === 'pending' ? 'email' : outcome);
}
