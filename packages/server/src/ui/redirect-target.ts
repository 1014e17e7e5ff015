/**
 * Where a page may send the browser after sign-in (API.md "Pages for people"): a `redirectTo`
 * on this server's own origin, or one the redirect allow-list admits (the same strict matching
 * as social login); anything else is ignored and the person lands on `/account`. Relative paths
 * (`/account/x`) are resolved against the public URL first.
 */
import { createRedirectAllowlist } from "../domain/oauth/redirect-allowlist.js";

export interface RedirectTargets {
  /** The normalised absolute URL to go to, or null when `candidate` is not allowed. */
  allowed(candidate: string | undefined): string | null;
  /** `allowed(candidate)`, else the account page. */
  afterSignIn(candidate: string | undefined): string;
  /** Origins a form may lead to (for CSP `form-action`): this one and the allow-list's. */
  readonly formOrigins: readonly string[];
}

export function createRedirectTargets(publicUrl: string, allowlist: readonly string[]): RedirectTargets {
  const origin = new URL(publicUrl).origin;
  const matcher = createRedirectAllowlist([origin, ...allowlist]);
  const allowed = (candidate: string | undefined) => {
    if (candidate === undefined || candidate === "") return null;
    // Only a single leading slash is a path here: `//evil.example` is another host.
    const absolute = /^\/(?![/\\])/.test(candidate) ? `${publicUrl}${candidate}` : candidate;
    return matcher.match(absolute);
  };
  return {
    allowed,
    afterSignIn: (candidate) => allowed(candidate) ?? `${publicUrl}/account`,
    formOrigins: [...new Set([origin, ...allowlist.map((entry) => new URL(entry).origin)])],
  };
}
