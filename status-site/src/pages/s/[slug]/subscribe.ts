import type { APIRoute } from 'astro';
import { subscribe } from '../../../lib/subscribe.ts';

export const POST: APIRoute = async ({ locals, params, request }) => {
  const ws = await locals.site.readModel.workspaceBySlug(params.slug ?? '');
  if (!ws) return new Response('No status page here.', { status: 404 });
  return subscribe(locals.site, ws, request);
};

export const GET: APIRoute = ({ params, redirect }) =>
  redirect(`/s/${encodeURIComponent(params.slug ?? '')}/#subscribe`, 303);
