/**
 * The refresh grace window (PORTCULLIS_REFRESH_GRACE, off by default): a single-page app open in
 * several tabs may send the same refresh token from each at once. Without a window exactly one
 * wins and the others are reuse (RFC 9700 §4.14.2), which revokes the session. With one, every
 * refresh within `windowMs` of the rotation gets the same successor.
 *
 * The later callers need the successor itself, yet only hashes of refresh tokens are stored. So
 * the rotation keeps it for the window only, in the ephemeral store (shared by every instance
 * through Redis), sealed with AES-256-GCM under a key derived with HKDF from the *presented*
 * token: whoever can open it already holds that token, and whoever reads the store (or a Redis
 * dump) learns nothing usable. It sits under the SHA-256 of the presented token, the value SQL
 * already keeps. Not in the refresh-token row: that would put a recoverable token in SQL and in
 * its backups for good, for a window of seconds.
 */
import { createHash, hkdfSync } from "node:crypto";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import { decryptSecretValue, encryptSecretValue } from "../tokens/key-encryption.js";

export interface RefreshGrace {
  readonly windowMs: number;
  /**
   * The successor of `presented` that every refresh with it in the window issues: `candidate`,
   * kept sealed for the window with a key only `presented` derives, when this call is the first;
   * else the one the first call kept. Called before rotating, so the winner issues the agreed one.
   */
  agree(presented: string, candidate: string): Promise<string>;
  /** The successor kept for `presented`, while the window lasts; undefined otherwise. */
  recall(presented: string): Promise<string | undefined>;
}

const KEY_PREFIX = "refresh-grace:";

/**
 * @example
 * const grace = createRefreshGrace({ ephemeral, windowMs: 2_000 });
 * await grace.agree(oldToken, newToken); // newToken: the first to ask
 * await grace.agree(oldToken, otherToken); // still newToken, for 2 s
 * await grace.recall(oldToken); // newToken, for 2 s
 */
export function createRefreshGrace(options: { ephemeral: EphemeralStore; windowMs: number }): RefreshGrace {
  const { ephemeral, windowMs } = options;
  if (!Number.isInteger(windowMs) || windowMs <= 0)
    throw new Error("createRefreshGrace: windowMs must be a positive integer");
  const grace: RefreshGrace = {
    windowMs,
    async agree(presented, candidate) {
      const sealed = encryptSecretValue(sealingKey(presented), Buffer.from(candidate, "utf8"));
      if (await ephemeral.putIfAbsent(storeKey(presented), sealed, windowMs)) return candidate;
      // Kept by an earlier call; unreadable (altered, or gone just now) leaves this one's own.
      return (await grace.recall(presented)) ?? candidate;
    },
    async recall(presented) {
      const sealed = await ephemeral.get(storeKey(presented));
      if (sealed === undefined) return undefined;
      try {
        return decryptSecretValue(sealingKey(presented), sealed).toString("utf8");
      } catch {
        // Altered in the store: no successor, so the caller treats the token as reused.
        return undefined;
      }
    },
  };
  return grace;
}

function storeKey(presented: string): string {
  return `${KEY_PREFIX}${createHash("sha256").update(presented).digest("hex")}`;
}

/** A refresh token carries 256 random bits: enough input keying material for HKDF (RFC 5869 §3.3). */
function sealingKey(presented: string): Buffer {
  return Buffer.from(hkdfSync("sha256", presented, "portcullis", "refresh-grace/v1", 32));
}
