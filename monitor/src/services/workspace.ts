/** A workspace's settings, as the API (`/v1/workspace`) and the admin pages show and change them. */
import {
  defaultWorkspace,
  findWorkspace,
  findWorkspaceByCustomDomain,
  insertSlugRedirectQuery,
  isUniqueViolation,
  updateWorkspaceQuery,
} from '@lifeline/db';
import type { Workspace } from '@lifeline/db/schema';
import type { WorkspacePatch } from '../contract/workspace.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';

export interface WorkspaceView {
  id: string;
  slug: string;
  name: string;
  heartbeatIntervalS: number;
  about: string | null;
  websiteUrl: string | null;
  supportUrl: string | null;
  customDomain: string | null;
  createdAt: number;
  statusPageUrl: string;
}

/**
 * The view of a workspace. Its status page is at its custom domain when it has one (https: TLS is the proxy's),
 * else at `/` if it is the default workspace, else at `/s/<slug>`.
 */
async function view(deps: Pick<Deps, 'db' | 'publicUrl'>, w: Workspace): Promise<WorkspaceView> {
  const isDefault = (await defaultWorkspace(deps.db))?.id === w.id;
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    heartbeatIntervalS: w.heartbeatIntervalMs / 1000,
    about: w.about,
    websiteUrl: w.websiteUrl,
    supportUrl: w.supportUrl,
    customDomain: w.customDomain,
    createdAt: w.createdAt,
    statusPageUrl: w.customDomain
      ? `https://${w.customDomain}/`
      : `${deps.publicUrl}${isDefault ? '/' : `/s/${w.slug}`}`,
  };
}

export async function getWorkspace(deps: Pick<Deps, 'db' | 'publicUrl'>, workspaceId: string) {
  const w = await findWorkspace(deps.db, workspaceId);
  if (!w) throw new ApiError(401, 'invalid_token', 'The API key is unknown or revoked.');
  return view(deps, w);
}

/**
 * Renames the workspace (its status page's title: callers refresh the page's cached summary), moves its
 * page to another slug, or changes the heartbeat interval its devices are told (each learns it from its
 * next answer).
 */
export async function changeWorkspace(
  deps: Deps,
  workspaceId: string,
  patch: WorkspacePatch,
): Promise<WorkspaceView> {
  const before = await findWorkspace(deps.db, workspaceId);
  if (!before) throw new ApiError(401, 'invalid_token', 'The API key is unknown or revoked.');
  if (patch.customDomain) await checkCustomDomain(deps, workspaceId, patch.customDomain);
  const change = updateWorkspaceQuery(deps.db, workspaceId, {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.slug === undefined ? {} : { slug: patch.slug }),
    ...(patch.heartbeatIntervalS === undefined
      ? {}
      : { heartbeatIntervalMs: patch.heartbeatIntervalS * 1000 }),
    ...(patch.about === undefined ? {} : { about: patch.about || null }),
    ...(patch.websiteUrl === undefined ? {} : { websiteUrl: patch.websiteUrl }),
    ...(patch.supportUrl === undefined ? {} : { supportUrl: patch.supportUrl }),
    ...(patch.customDomain === undefined ? {} : { customDomain: patch.customDomain }),
  });
  try {
    // A page that moves leaves a redirect at its old address, in the same transaction.
    if (patch.slug !== undefined && patch.slug !== before.slug)
      await deps.db.batch([
        change,
        insertSlugRedirectQuery(deps.db, { slug: before.slug, workspaceId, now: deps.clock.now() }),
      ]);
    else await change;
  } catch (err) {
    if (isUniqueViolation(err) && /custom_domain/.test(String(err))) throw domainTaken();
    if (isUniqueViolation(err))
      throw new ApiError(409, 'slug_taken', 'Another workspace has this slug.', 'slug');
    throw err;
  }
  if (patch.customDomain !== undefined) deps.customDomains?.invalidate();
  const w = (await findWorkspace(deps.db, workspaceId))!;
  // Devices' cached principals carry the interval they are told: the next heartbeats read the new one.
  if (patch.heartbeatIntervalS !== undefined) deps.authCache.clear();
  return view(deps, w);
}

const domainTaken = () =>
  new ApiError(409, 'domain_taken', 'Another workspace serves its page on this host name.', 'customDomain');

/** A custom domain must be free, and not the address Lifeline itself answers on. */
async function checkCustomDomain(deps: Pick<Deps, 'db' | 'publicUrl'>, workspaceId: string, host: string) {
  let own: string | null = null;
  try {
    own = deps.publicUrl ? new URL(deps.publicUrl).hostname.toLowerCase() : null;
  } catch {}
  if (host === own)
    throw new ApiError(
      400,
      'invalid_request',
      'This is the address Lifeline itself answers on (PUBLIC_URL); use a host name of your own.',
      'customDomain',
    );
  const holder = await findWorkspaceByCustomDomain(deps.db, host);
  if (holder && holder.id !== workspaceId) throw domainTaken();
}
