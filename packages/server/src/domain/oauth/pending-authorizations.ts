/**
 * The social-login flows in progress: `state` → what the callback needs (PKCE verifier, nonce,
 * provider, where to return, transport, the account being linked), for ten minutes, in the
 * ephemeral store under the SHA-256 of `state`. Each flow is bound to the browser that started it
 * (RFC 9700 §4.7; ASVS 10.1.2): the start answer sets a short-lived HttpOnly cookie whose SHA-256
 * is kept with the flow, and a callback without the matching cookie signs nobody in. The
 * callback takes the record (single use), so a replayed callback URL finds nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import type { SessionTransport } from "../sessions/session.js";

export const PENDING_AUTHORIZATION_TTL_MS = 10 * 60_000;
const KEY_PREFIX = "oauth:state:";
/** 256 bits, base64url (ASVS 11.5.1). */
const SECRET_BYTES = 32;
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface PendingAuthorization {
  provider: string;
  nonce: string;
  codeVerifier: string;
  /** Already matched against the allow-list and normalised. */
  redirectTo: string;
  transport: SessionTransport;
  /** The signed-in user who asked to link an identity (`link=1`); null for a sign-in. */
  linkUserId: string | null;
  /** SHA-256 of the browser-binding cookie. */
  browserBindingHash: string;
  expiresAt: number;
}

export const randomSecret = (): string => randomBytes(SECRET_BYTES).toString("base64url");
export const isSecretShaped = (value: string | undefined): value is string =>
  value !== undefined && SECRET_SHAPE.test(value);
export const sha256 = (value: string): string => createHash("sha256").update(value).digest("hex");

/** Equal SHA-256 hex digests, compared in constant time. */
function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export interface PendingAuthorizations {
  save(state: string, flow: Omit<PendingAuthorization, "expiresAt">): Promise<void>;
  /** The live flow of `state`, without spending it. */
  peek(state: string): Promise<PendingAuthorization | undefined>;
  /** Spends the flow of `state`: of concurrent callers exactly one gets it. */
  take(state: string): Promise<PendingAuthorization | undefined>;
  /** Whether the browser-binding cookie presented belongs to the flow. */
  isBoundTo(flow: PendingAuthorization, browserBinding: string | undefined): boolean;
}

export function createPendingAuthorizations(deps: {
  ephemeral: EphemeralStore;
  clock: Clock;
}): PendingAuthorizations {
  const { ephemeral, clock } = deps;

  function parse(raw: string | undefined): PendingAuthorization | undefined {
    if (raw === undefined) return undefined;
    const flow = JSON.parse(raw) as PendingAuthorization;
    // The store's TTL is a backstop; the server's clock decides (and tests can move it).
    return flow.expiresAt > clock.now() ? flow : undefined;
  }

  return {
    async save(state, flow) {
      const record: PendingAuthorization = { ...flow, expiresAt: clock.now() + PENDING_AUTHORIZATION_TTL_MS };
      await ephemeral.put(
        `${KEY_PREFIX}${sha256(state)}`,
        JSON.stringify(record),
        PENDING_AUTHORIZATION_TTL_MS,
      );
    },
    async peek(state) {
      return parse(await ephemeral.get(`${KEY_PREFIX}${sha256(state)}`));
    },
    async take(state) {
      return parse(await ephemeral.take(`${KEY_PREFIX}${sha256(state)}`));
    },
    isBoundTo(flow, browserBinding) {
      return isSecretShaped(browserBinding) && sameDigest(sha256(browserBinding), flow.browserBindingHash);
    },
  };
}
