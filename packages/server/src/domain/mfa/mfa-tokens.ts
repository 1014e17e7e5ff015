/**
 * mfaTokens: what a sign-in hands out instead of a session when the account has a second factor
 * (API.md `mfaRequired`). An mfaToken is single-purpose (only `POST /v1/auth/mfa` and the
 * WebAuthn options for it accept one; it is opaque, so it can never pass for an access token —
 * ASVS 9.2.2), short-lived (5 minutes), allows a few attempts (5), and is spent by the sign-in it
 * finishes. It carries the first factor's state — who, which `amr`, remember-me and the
 * transport chosen at login — so the second step answers exactly as the login would have.
 *
 * Only the SHA-256 of the token is a key in the ephemeral store; the token itself (256 random
 * bits) exists only in the client's hands.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import type { SessionTransport } from "../sessions/session.js";

export const MFA_TOKEN_TTL_MS = 5 * 60_000;
export const MFA_TOKEN_MAX_ATTEMPTS = 5;
const MFA_TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

/** The first factor's outcome, kept until the second one is proven. */
export interface MfaTokenState {
  userId: string;
  /** RFC 8176 methods proven so far (`["pwd"]`, `["fed"]`). */
  amr: string[];
  rememberMe: boolean;
  transport: SessionTransport;
  /** How the first factor was proven, for the audit log. */
  method: string;
}

/** A live token, found by its hash. */
export interface PresentedMfaToken {
  /** The store key's id: SHA-256 of the token, hex. Challenges bound to the token carry it. */
  hash: string;
  state: MfaTokenState;
}

export type MfaAttempt = { ok: true; last: boolean } | { ok: false };

export interface MfaTokens {
  issue(state: MfaTokenState): Promise<string>;
  /** The token's state while it is live; undefined for unknown, spent, expired or ended ones. */
  find(token: string): Promise<PresentedMfaToken | undefined>;
  /**
   * Takes one attempt from the token's budget before a code is checked (so concurrent guesses
   * cannot exceed it); `last` when it was the final one. Refused once the budget is spent, and
   * the token then ends.
   */
  takeAttempt(token: PresentedMfaToken): Promise<MfaAttempt>;
  /** Ends the token (after its last failed attempt). */
  end(token: PresentedMfaToken): Promise<void>;
  /** Spends the token: true for exactly one of any concurrent callers. */
  spend(token: PresentedMfaToken): Promise<boolean>;
}

export const hashMfaToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** What is stored: the state and its deadline, checked on our clock as well as by the store's TTL. */
interface StoredMfaToken extends MfaTokenState {
  expiresAt: number;
}

function parseState(value: string): StoredMfaToken | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<StoredMfaToken>;
    if (
      typeof parsed.userId !== "string" ||
      !Array.isArray(parsed.amr) ||
      typeof parsed.expiresAt !== "number"
    ) {
      return undefined;
    }
    return parsed as StoredMfaToken;
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const mfaTokens = createMfaTokens({ ephemeral });
 * const mfaToken = await mfaTokens.issue({ userId, amr: ["pwd"], rememberMe, transport, method: "password" });
 */
export function createMfaTokens(deps: { ephemeral: EphemeralStore; clock: Clock }): MfaTokens {
  const { ephemeral, clock } = deps;
  const tokenKey = (hash: string) => `mfa:token:${hash}`;
  const attemptsKey = (hash: string) => `mfa:attempts:${hash}`;

  return {
    async issue(state) {
      const token = randomBytes(MFA_TOKEN_BYTES).toString("base64url");
      const stored: StoredMfaToken = { ...state, expiresAt: clock.now() + MFA_TOKEN_TTL_MS };
      await ephemeral.put(tokenKey(hashMfaToken(token)), JSON.stringify(stored), MFA_TOKEN_TTL_MS);
      return token;
    },
    async find(token) {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const hash = hashMfaToken(token);
      const value = await ephemeral.get(tokenKey(hash));
      const stored = value === undefined ? undefined : parseState(value);
      if (stored === undefined || stored.expiresAt <= clock.now()) return undefined;
      const { expiresAt: _deadline, ...state } = stored;
      return { hash, state };
    },
    async takeAttempt(token) {
      const attempts = await ephemeral.increment(attemptsKey(token.hash), MFA_TOKEN_TTL_MS);
      if (attempts > MFA_TOKEN_MAX_ATTEMPTS) {
        await ephemeral.delete(tokenKey(token.hash));
        return { ok: false };
      }
      return { ok: true, last: attempts === MFA_TOKEN_MAX_ATTEMPTS };
    },
    async end(token) {
      await ephemeral.delete(tokenKey(token.hash));
    },
    async spend(token) {
      return (await ephemeral.take(tokenKey(token.hash))) !== undefined;
    },
  };
}
