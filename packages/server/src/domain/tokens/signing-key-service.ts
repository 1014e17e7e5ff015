/**
 * Signing-key lifecycle: the first key is generated at first start; rotation adds a new key
 * that signs from then on, while retired keys stay published in the JWKS (and accepted) until
 * every token they signed has expired (RFC 7517 key rollover). Other processes (the CLI, other
 * instances) may rotate, so the ring is reloaded from storage periodically.
 */
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import { createKeyRing, type KeyRing } from "./key-ring.js";
import { generateSigningKey, type SigningAlgorithm, type StoredSigningKey } from "./signing-key.js";

export interface SigningKeyServiceOptions {
  persistence: Persistence;
  clock: Clock;
  kek: Buffer;
  algorithm: SigningAlgorithm;
  /** How long a retired key stays usable: the access-token lifetime plus the reload interval and leeway. */
  retiredKeyRetentionMs: number;
}

export interface SigningKeyService {
  /** Loads the keys, creating the first one when none of the configured algorithm is current. */
  initialize(): Promise<KeyRing>;
  /** Re-reads the keys (after a rotation elsewhere) and forgets keys past their retention. */
  reload(): Promise<void>;
  /** Adds a new current key and retires the others; returns its `kid`. */
  rotate(): Promise<string>;
}

export function createSigningKeyService(options: SigningKeyServiceOptions): SigningKeyService {
  const { persistence, clock, kek, algorithm } = options;
  let ring: KeyRing | undefined;
  // Replacing the ring clears the verifier's cache of verified tokens: only do it on a real change.
  let loadedFingerprint = "";
  const fingerprint = (keys: StoredSigningKey[]) =>
    keys.map((key) => `${key.kid}:${key.retiredAt ?? ""}`).join(",");

  const hasCurrentKey = (keys: StoredSigningKey[]) =>
    keys.some((key) => key.alg === algorithm && key.retiredAt === null);

  async function rotate(): Promise<string> {
    const now = clock.now();
    const key = generateSigningKey(algorithm, { kek, now });
    await persistence.transaction(async (stores) => {
      await stores.signingKeys.insertSigningKey(key);
      await stores.signingKeys.retireSigningKeys(key.kid, now);
      await stores.audit.appendAuditEvent({
        type: "signing_key.rotated",
        userId: null,
        actorId: null,
        ip: null,
        userAgent: null,
        details: { kid: key.kid, alg: key.alg },
        at: now,
      });
    });
    if (ring !== undefined) await reload();
    return key.kid;
  }

  async function loadUsableKeys(): Promise<StoredSigningKey[]> {
    await persistence.signingKeys.deleteSigningKeysRetiredBefore(clock.now() - options.retiredKeyRetentionMs);
    return persistence.signingKeys.listSigningKeys();
  }

  async function reload(): Promise<void> {
    const keys = await loadUsableKeys();
    if (ring === undefined || !hasCurrentKey(keys) || fingerprint(keys) === loadedFingerprint) return;
    ring.replace(keys);
    loadedFingerprint = fingerprint(keys);
  }

  return {
    async initialize() {
      let keys = await loadUsableKeys();
      if (!hasCurrentKey(keys)) {
        await rotate();
        keys = await loadUsableKeys();
      }
      ring = createKeyRing({ kek, algorithm, keys });
      loadedFingerprint = fingerprint(keys);
      return ring;
    },
    reload,
    rotate,
  };
}
