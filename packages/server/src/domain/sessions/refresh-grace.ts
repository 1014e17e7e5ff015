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
  /** Keeps `successor` for the window, sealed with a key only `presented` derives. */
  remember(presented: string, successor: string): Promise<void>;
  /** The successor kept for `presented`, while the window lasts; undefined otherwise. */
  recall(presented: string): Promise<string | undefined>;
}

const KEY_PREFIX = "refresh-grace:";

/**
 * @example
 * const grace = createRefreshGrace({ ephemeral, windowMs: 2_000 });
 * await grace.remember(oldToken, newToken); // inside the rotation's transaction
 * await grace.recall(oldToken); // newToken, for 2 s
 */
export function createRefreshGrace(options: { ephemeral: EphemeralStore; windowMs: number }): RefreshGrace {
  const { ephemeral, windowMs } = options;
  if (!Number.isInteger(windowMs) || windowMs <= 0)
    throw new Error("createRefreshGrace: windowMs must be a positive integer");
  return {
    windowMs,
    async remember(presented, successor) {
      const sealed = encryptSecretValue(sealingKey(presented), Buffer.from(successor, "utf8"));
      await ephemeral.put(storeKey(presented), sealed, windowMs);
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
}

function storeKey(presented: string): string {
  return `${KEY_PREFIX}${createHash("sha256").update(presented).digest("hex")}`;
}

/** A refresh token carries 256 random bits: enough input keying material for HKDF (RFC 5869 §3.3). */
function sealingKey(presented: string): Buffer {
  return Buffer.from(hkdfSync("sha256", presented, "portcullis", "refresh-grace/v1", 32));
}
