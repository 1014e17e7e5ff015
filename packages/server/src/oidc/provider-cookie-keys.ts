/**
 * The keys `oidc-provider` signs its cookies with (the interaction and its own session cookie),
 * derived from PORTCULLIS_SECRET like every other key, under a label of their own, so no key
 * serves two purposes and every instance derives the same ones.
 */
import { hkdfSync } from "node:crypto";

export function deriveCookieKeys(secret: string): string[] {
  const key = Buffer.from(hkdfSync("sha256", secret, "", "portcullis openid-provider cookies v1", 32));
  return [key.toString("base64url")];
}
