/**
 * What every page gets (`Astro.locals.site`) and which paths are pages: shared by the Node server
 * (`mount.ts`) and the Worker (`worker.ts`), so Web APIs only here.
 */
import type { SiteContext } from '../../../status-site/src/read-model.ts';
import type { Deps } from '../deps.ts';
import { createAdminModel, statusReadModelFor } from './read-model.ts';
import { publicSubscriptionsModel } from './subscriptions.ts';

const SITE_PATH = /^\/(?:s\/[^/]+\/?)?(?:history\/?|subscribe\/?|subscribe\/push\/?)?$|^\/admin(?:\/|$)/;

/** Whether a path is one of the site's pages (as opposed to the API, the twins, or nothing). */
export function isSitePath(pathname: string): boolean {
  return SITE_PATH.test(pathname);
}

/** The context every page gets as `Astro.locals.site`. */
export function siteContext(deps: Deps): SiteContext {
  return {
    readModel: statusReadModelFor(deps),
    admin: createAdminModel(deps),
    subscriptions: publicSubscriptionsModel(deps),
    db: deps.db,
    now: () => deps.clock.now(),
    get publicUrl() {
      return deps.publicUrl;
    },
  };
}
