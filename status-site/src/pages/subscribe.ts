import type { APIRoute } from 'astro';
import { subscribe } from '../lib/subscribe.ts';

export const POST: APIRoute = async ({ locals, request }) => {
  const ws = await locals.site.readModel.defaultWorkspace();
  if (!ws) return new Response('No status page here.', { status: 404 });
  return subscribe(locals.site, ws, request);
};

export const GET: APIRoute = ({ redirect }) => redirect('/#subscribe', 303);
