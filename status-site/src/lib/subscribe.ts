/** The public subscribe form's handler, shared by `/subscribe` and `/s/<slug>/subscribe`. */
import { addStatusSubscriber } from '@lifeline/db';
import type { PublicWorkspace, SiteContext } from '../read-model.ts';
import { basePath } from './format.ts';

/** Plausible, not RFC-complete: one @, a dot in the domain, no spaces or angle brackets. */
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,253}\.[^\s@<>".]{2,63}$/;

export async function subscribe(site: SiteContext, ws: PublicWorkspace, request: Request): Promise<Response> {
  const back = (result: string) =>
    new Response(null, {
      status: 303,
      headers: {
        Location: `${basePath(ws) || ''}/?subscribed=${result}#subscribe`,
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
  if (email.length > 320 || !EMAIL.test(email)) return back('invalid');
  await addStatusSubscriber(site.db, { workspaceId: ws.id, email, now: site.now() });
  return back('email');
}
