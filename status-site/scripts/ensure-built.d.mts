/** Where the built handler lives (`dist/server/entry.mjs`). */
export declare const siteEntry: string;
/** The built static assets (`dist/client`). */
export declare const siteClientDir: string;
/** Builds the site if its sources changed since the last build (or always with `force`). */
export declare function ensureSiteBuilt(options?: {
  force?: boolean;
  /** `edge`: the Worker's build (`dist-edge/`); default the Node server's (`dist/`). */
  target?: 'node' | 'edge';
}): Promise<{ built: boolean; ms: number }>;
