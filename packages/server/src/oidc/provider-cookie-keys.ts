/**
 * The keys `oidc-provider` signs its cookies with (the interaction and its own session cookie),
 * derived from PORTCULLIS_SECRET like every other key, under a label of their own, so no key
 * serves two purposes and every instance derives the same ones. The provider signs with the
 * first key and verifies with any (keygrip), so the keys of PORTCULLIS_SECRET_PREVIOUS follow
 * it: cookies signed before a secret rotation keep working.
 */
import { hkdfSync } from "node:crypto";

/** @example provider cookies: { keys: deriveCookieKeys(config.secret, config.previousSecrets) } */
export function deriveCookieKeys(secret: string, previousSecrets: readonly string[] = []): string[] {
  const keys = [secret, ...previousSecrets].map((each) =>
    Buffer.from(hkdfSync("sha256", each, "", "portcullis openid-provider cookies v1", 32)).toString(
      "base64url",
    ),
  );
  return [...new Set(keys)];
}
