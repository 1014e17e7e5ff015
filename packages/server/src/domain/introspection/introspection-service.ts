/**
 * What resource servers may ask Portcullis about credentials (issue 9), both for callers holding
 * an API key with the `introspect` scope:
 *
 * - Token introspection (RFC 7662): is this access token or API key active, and whose is it? An
 *   access token is verified exactly as Portcullis verifies it for itself (signature, claims,
 *   revocation); an API key as when it is presented (live, unexpired, owner enabled). Anything
 *   else — expired, revoked, garbled, unknown — is simply inactive (RFC 7662 §2.2), never an error.
 * - The revocations still relevant since a moment: what a resource server listening to the
 *   revocation bus may have missed while it was not connected. The same SQL record instances
 *   catch up from (`revocation-source.ts`); older revocations cannot affect an unexpired token.
 */
import type { ApiKey } from "../api-keys/api-key.js";
import { apiKeyPrefix } from "../api-keys/api-key-format.js";
import type { ApiKeyService } from "../api-keys/api-key-service.js";
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import type { Revocation } from "../sessions/revocation.js";
import { listRevocationsSince } from "../sessions/revocation-source.js";
import type { SessionService } from "../sessions/session-service.js";
import type { AccessTokenClaims } from "../tokens/access-token.js";
import type { User } from "../users/user.js";

export type IntrospectionResult =
  | { active: false }
  | { active: true; kind: "access_token"; claims: AccessTokenClaims }
  | { active: true; kind: "api_key"; key: ApiKey; user: User };

export interface IntrospectionServiceDeps {
  sessions: SessionService;
  apiKeys: ApiKeyService;
  persistence: Persistence;
  clock: Clock;
  accessTokenTtlSeconds: number;
}

export interface IntrospectionService {
  /** RFC 7662 §2: never throws on any input; the token's own shape says whether it is a key. */
  introspect(token: string): Promise<IntrospectionResult>;
  /**
   * Revocations recorded at or after `since` (clamped to the window in which one can still
   * matter; the whole window when absent), oldest first, and the time the read started.
   */
  listRevocationsSince(since: number | undefined): Promise<{ events: Revocation[]; now: number }>;
}

/** As `revocation-sync.ts`: access-token lifetime plus clock leeway. */
const LEEWAY_MS = 60_000;

export function createIntrospectionService(deps: IntrospectionServiceDeps): IntrospectionService {
  const { sessions, apiKeys, persistence, clock } = deps;
  const windowMs = deps.accessTokenTtlSeconds * 1000 + LEEWAY_MS;
  const INACTIVE = { active: false } as const;

  return {
    async introspect(token) {
      if (typeof token !== "string" || token === "") return INACTIVE;
      if (apiKeyPrefix(token) !== null) {
        const found = await apiKeys.authenticate(token);
        return found === null ? INACTIVE : { active: true, kind: "api_key", ...found };
      }
      const claims = await sessions.authenticateAccessToken(token);
      return claims === null ? INACTIVE : { active: true, kind: "access_token", claims };
    },

    async listRevocationsSince(since) {
      // Read from a moment before the query starts, so that `now` is a safe next `since`.
      const now = clock.now();
      const from = Math.max(since ?? 0, now - windowMs);
      const events = await listRevocationsSince(persistence, from);
      return { events: events.sort((a, b) => a.at - b.at), now };
    },
  };
}
