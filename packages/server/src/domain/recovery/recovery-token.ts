/**
 * Single-use tokens sent by mail: password reset, email verification and email change. A token is
 * 256 random bits (ASVS 6.4.1, 11.5.1), handed out once inside a link and stored only as its SHA-256; it
 * belongs to one user, one purpose (a verification token never resets a password: security.md
 * §2.1 item 9) and the address it was sent to, and is spent with a compare-and-swap so it works
 * exactly once even when two requests race.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { hashOpaqueToken } from "../sessions/session-service.js";

export type RecoveryTokenPurpose = "password_reset" | "email_verification" | "email_change";

export interface RecoveryToken {
  id: string;
  userId: string;
  purpose: RecoveryTokenPurpose;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  /**
   * The address the link was sent to: verifying it only counts while it is still the user's; for
   * an email change, the new address the account moves to when the link is opened.
   */
  email: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** A reset request as recorded by `POST /v1/password/forgot`, before anyone looked the address up. */
export interface PasswordResetRequest {
  id: string;
  email: string;
  ip: string | null;
  userAgent: string | null;
  requestedAt: number;
}

const TOKEN_BYTES = 32;

/** A new token and the record that stores its hash. */
export function issueRecoveryToken(input: {
  userId: string;
  purpose: RecoveryTokenPurpose;
  email: string;
  now: number;
  ttlMs: number;
}): { token: string; record: RecoveryToken } {
  const token = randomBytes(TOKEN_BYTES).toString("base64url");
  return {
    token,
    record: {
      id: randomUUID(),
      userId: input.userId,
      purpose: input.purpose,
      tokenHash: hashOpaqueToken(token),
      email: input.email,
      createdAt: input.now,
      expiresAt: input.now + input.ttlMs,
      usedAt: null,
    },
  };
}

/** True when the record can still be spent at `now`. */
export function isLive(record: RecoveryToken, now: number): boolean {
  return record.usedAt === null && record.expiresAt > now;
}

/** Tokens are base64url; anything else (or absurdly long) cannot be one and is not looked up. */
export function looksLikeRecoveryToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{16,128}$/.test(token);
}

/** `${publicUrl}/reset-password?token=…`: links come from the configured public URL only (security.md §2.6). */
export function recoveryLink(
  publicUrl: string,
  path: "/reset-password" | "/verify-email" | "/confirm-email-change",
  token: string,
): string {
  return `${publicUrl}${path}?token=${encodeURIComponent(token)}`;
}
