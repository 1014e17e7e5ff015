/**
 * Signing-key lifecycle: the first key is generated at first start; rotation adds a new key
 * that signs from then on, while retired keys stay published in the JWKS (and accepted) until
 * every token they signed has expired (RFC 7517 key rollover). Other processes (the CLI, other
 * instances) may rotate, so the ring is reloaded from storage periodically.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { Persistence, Stores } from "../persistence.js";
import { createKeyRing, type KeyRing } from "./key-ring.js";
import { generateSigningKey, type SigningAlgorithm, type StoredSigningKey } from "./signing-key.js";

export interface SigningKeyServiceOptions {
  persistence: Persistence;
  clock: Clock;
  kek: Buffer;
  /** Keys of previous secrets (PORTCULLIS_SECRET_PREVIOUS): keys they sealed still open. */
  previousKeks?: readonly Buffer[];
  algorithm: SigningAlgorithm;
  /** How long a retired key stays usable: the access-token lifetime plus the reload interval and leeway. */
  retiredKeyRetentionMs: number;
}

/** A signing key as operators see it: never its material. */
export interface SigningKeySummary {
  kid: string;
  alg: SigningAlgorithm;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /**
   * `current` signs new tokens; `retired` still verifies the tokens it signed until `retiresAt`;
   * `unused` is a key of another algorithm than the configured one (it verifies nothing).
   */
  status: "current" | "retired" | "unused";
  retiredAt: number | null;
  /** When a retired key leaves the JWKS and is deleted; null while it is current. */
  retiresAt: number | null;
}

/** Who rotated the keys from the admin console (the CLI acts as the system: none). */
export interface KeyRotationActor {
  userId: string;
  client: ClientContext;
}

export interface SigningKeyService {
  /** Loads the keys, creating the first one when none of the configured algorithm is current. */
  initialize(): Promise<KeyRing>;
  /** Re-reads the keys (after a rotation elsewhere) and forgets keys past their retention. */
  reload(): Promise<void>;
  /** Adds a new current key and retires the others; returns its `kid`. */
  rotate(actor?: KeyRotationActor): Promise<string>;
  /** The keys still in use (current, and retired ones until their tokens have expired), newest first. */
  listKeys(): Promise<SigningKeySummary[]>;
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

  /** Stores a new current key, retires the others and records it, in the caller's transaction. */
  async function storeNewKey(
    stores: Stores,
    actor: KeyRotationActor | undefined,
    now: number,
  ): Promise<string> {
    const key = generateSigningKey(algorithm, { kek, now });
    await stores.signingKeys.insertSigningKey(key);
    await stores.signingKeys.retireSigningKeys(key.kid, now);
    await stores.audit.appendAuditEvent({
      type: "signing_key.rotated",
      userId: null,
      actorId: actor?.userId ?? null,
      ip: actor?.client.ip ?? null,
      userAgent: actor?.client.userAgent ?? null,
      details: { kid: key.kid, alg: key.alg },
      at: now,
    });
    return key.kid;
  }

  async function rotate(actor?: KeyRotationActor): Promise<string> {
    const now = clock.now();
    const kid = await persistence.transaction((stores) => storeNewKey(stores, actor, now));
    if (ring !== undefined) await reload();
    return kid;
  }

  /** The first key, once: instances starting together on an empty database wait on one another. */
  async function createFirstKey(): Promise<void> {
    await persistence.transaction(async (stores) => {
      await stores.signingKeys.lockSigningKeys();
      if (hasCurrentKey(await stores.signingKeys.listSigningKeys())) return;
      await storeNewKey(stores, undefined, clock.now());
    });
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
        await createFirstKey();
        keys = await loadUsableKeys();
      }
      ring = createKeyRing({ kek, previousKeks: options.previousKeks ?? [], algorithm, keys });
      loadedFingerprint = fingerprint(keys);
      return ring;
    },
    reload,
    rotate,

    async listKeys() {
      const now = clock.now();
      const keys = await persistence.signingKeys.listSigningKeys();
      return keys
        .map((key): SigningKeySummary => {
          const retiresAt = key.retiredAt === null ? null : key.retiredAt + options.retiredKeyRetentionMs;
          return {
            kid: key.kid,
            alg: key.alg,
            createdAt: key.createdAt,
            status: key.alg !== algorithm ? "unused" : key.retiredAt === null ? "current" : "retired",
            retiredAt: key.retiredAt,
            retiresAt,
          };
        })
        .filter((key) => key.retiresAt === null || key.retiresAt > now)
        .sort((a, b) => b.createdAt - a.createdAt);
    },
  };
}
