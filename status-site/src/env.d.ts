/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    site: import('./read-model.ts').SiteContext;
    /** Set by the middleware on admin pages when signed in. */
    admin?: import('./lib/auth.ts').SignedIn;
    /** Set by a page: how the middleware should cache it. */
    cache?: 'public' | 'private';
  }
}
