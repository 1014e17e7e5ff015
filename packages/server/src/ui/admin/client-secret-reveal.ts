/**
 * A new OAuth client secret across one redirect (POST → 303 → GET) without putting it in a URL
 * or a cookie: kept in the ephemeral store under the administrator's session id and taken (read
 * and deleted) by the GET of that client's page, so it is shown once, to that browser only.
 */
import type { EphemeralStore } from "../../domain/ephemeral/ephemeral-store.js";

/** The redirect follows at once; this only bounds how long an unseen secret lingers. */
const REVEAL_TTL_MS = 2 * 60_000;

/** One slot per kind of secret, so a webhook's secret never takes the place of a client's. */
const revealKey = (kind: string, sessionId: string) => `ui:admin:${kind}:${sessionId}`;

export interface ClientSecretReveal {
  put(sessionId: string, clientId: string, secret: string): Promise<void>;
  /** The secret made for `clientId` in this session, once; a second call finds nothing. */
  take(sessionId: string, clientId: string): Promise<string | undefined>;
}

/**
 * @example
 * const reveal = createClientSecretReveal(deps.ephemeral); // a webhook's: (deps.ephemeral, "webhook-secret")
 * await reveal.put(sessionId, client.id, clientSecret);
 * await reveal.take(sessionId, client.id); // the secret; then undefined
 */
export function createClientSecretReveal(
  ephemeral: EphemeralStore,
  kind: "client-secret" | "webhook-secret" = "client-secret",
): ClientSecretReveal {
  return {
    put: (sessionId, clientId, secret) =>
      ephemeral.put(revealKey(kind, sessionId), JSON.stringify({ clientId, secret }), REVEAL_TTL_MS),
    async take(sessionId, clientId) {
      // Left in place when another client's page is opened first: it is that client's to show.
      const shown = parse(await ephemeral.get(revealKey(kind, sessionId)));
      if (shown?.clientId !== clientId) return undefined;
      return parse(await ephemeral.take(revealKey(kind, sessionId)))?.secret;
    },
  };
}

function parse(text: string | undefined): { clientId: string; secret: string } | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { clientId, secret } = value as Record<string, unknown>;
    return typeof clientId === "string" && typeof secret === "string" ? { clientId, secret } : undefined;
  } catch {
    return undefined;
  }
}
