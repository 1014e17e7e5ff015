/**
 * One-time codes that carry a finished social sign-in from the callback redirect to
 * `POST /v1/auth/exchange`, so tokens never travel in a URL (API.md; RFC 9700 §4.3). A code is
 * 256 random bits, lives 60 seconds by the server's clock, is stored only as its SHA-256 and is
 * taken atomically, so it works once even when two exchanges race.
 */
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import type { SessionTransport } from "../sessions/session.js";
import { isSecretShaped, randomSecret, sha256 } from "./pending-authorizations.js";

export const EXCHANGE_CODE_TTL_MS = 60_000;
const KEY_PREFIX = "oauth:code:";

export interface ExchangeGrant {
  userId: string;
  provider: string;
  /** "cookie" only when a second factor interrupted a cookie sign-in (see the social-login service). */
  transport: SessionTransport;
  expiresAt: number;
}

export interface ExchangeCodes {
  issue(grant: Omit<ExchangeGrant, "expiresAt">): Promise<string>;
  /** The grant of a live, unspent code, spending it; undefined otherwise. */
  redeem(code: string): Promise<ExchangeGrant | undefined>;
}

export function createExchangeCodes(deps: { ephemeral: EphemeralStore; clock: Clock }): ExchangeCodes {
  const { ephemeral, clock } = deps;
  return {
    async issue(grant) {
      const code = randomSecret();
      const record: ExchangeGrant = { ...grant, expiresAt: clock.now() + EXCHANGE_CODE_TTL_MS };
      await ephemeral.put(`${KEY_PREFIX}${sha256(code)}`, JSON.stringify(record), EXCHANGE_CODE_TTL_MS);
      return code;
    },
    async redeem(code) {
      if (!isSecretShaped(code)) return undefined;
      const raw = await ephemeral.take(`${KEY_PREFIX}${sha256(code)}`);
      if (raw === undefined) return undefined;
      const grant = JSON.parse(raw) as ExchangeGrant;
      return grant.expiresAt > clock.now() ? grant : undefined;
    },
  };
}
