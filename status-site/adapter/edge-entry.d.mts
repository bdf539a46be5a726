import type { SiteLocals } from '../src/read-model.ts';

/** Renders a page of the edge build (`dist-edge/server/entry.mjs`, built by `ensure-built.mjs --edge`). */
export declare function render(
  request: Request,
  locals: SiteLocals,
  clientAddress?: string,
): Promise<Response>;
