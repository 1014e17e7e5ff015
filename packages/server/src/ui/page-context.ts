/**
 * What every page is rendered with: the person's locale and messages, the branding, the asset
 * URLs, the CSRF token for its forms, and who is signed in (the cookie session, if any).
 * Pages are pure functions of this context and their own view model.
 */
import type { PlaceLookup } from "../domain/places/place-lookup.js";
import type { User } from "../domain/users/user.js";
import type { HttpDeps } from "../http/http-deps.js";
import type { PageAssets } from "./assets/page-assets.js";
import type { OpenIdPageDeps } from "./consent/interaction-pages.js";
import type { Catalogue, Locale, Messages } from "./i18n/catalogue.js";
import type { RedirectTargets } from "./redirect-target.js";

/** The signed-in person behind the request's session cookie. */
export interface PageSession {
  user: User;
  sessionId: string;
  /** Seconds since the epoch of the last interactive authentication (for step-up). */
  authTime: number;
  amr: string[];
  roles: string[];
}

export interface PageContext {
  t: Messages;
  locale: Locale;
  locales: readonly Locale[];
  productName: string;
  /** The configured public URL (no trailing slash): the base of absolute links. */
  publicUrl: string;
  /** URL of the logo (a hashed asset or a data URL), if one is configured. */
  logoUrl: string | undefined;
  assets: PageAssets;
  /** For the hidden `_csrf` field of every form (and the `csrf-token` meta tag for scripts). */
  csrfToken: string;
  signedIn: PageSession | null;
  /** The request's path and query, for the language switcher to come back to. */
  path: string;
}

/** What page modules are given: the HTTP layer's services plus the pages' own parts. */
export interface PageDeps extends HttpDeps {
  catalogue: Catalogue;
  assets: PageAssets;
  redirects: RedirectTargets;
  places: PlaceLookup;
  /** The OpenID provider's parts the pages use; absent when the provider is off. */
  openId?: OpenIdPageDeps | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Filled for every request the pages plugin serves (null elsewhere). */
    page: PageContext | null;
  }
}
