/**
 * The port of secret rotation: every stored value sealed under a key derived from the server
 * secret — signing keys' private parts, TOTP secrets, webhook secrets — read in pages and written
 * back sealed anew. `src/store/sql/sealed-secret-repository.ts` implements it.
 */

/** What holds a sealed value. */
export type SealedSecretKind = "signing_key" | "totp_secret" | "webhook_secret";

export const SEALED_SECRET_KINDS: readonly SealedSecretKind[] = Object.freeze([
  "signing_key",
  "totp_secret",
  "webhook_secret",
]);

export interface SealedValue {
  /** The id of the key that sealed it; null where none is stored (signing keys: the key is found by trying). */
  keyId: string | null;
  /** `v1.<iv>.<tag>.<ciphertext>` (tokens/key-encryption.ts). */
  sealed: string;
}

export interface SealedSecretRow extends SealedValue {
  /** The row: a signing key's `kid`, a TOTP enrolment's user id, a webhook's id. */
  id: string;
}

export interface Resealing {
  id: string;
  /** What the row held when it was read: the write applies only if it still does. */
  from: SealedValue;
  to: SealedValue;
}

export interface SealedSecretStore {
  /**
   * Up to `limit` rows of `kind` whose id sorts after `afterId`, in id order, leaving out those
   * sealed with `exceptKeyId` (null: none left out).
   */
  listSealedSecrets(
    kind: SealedSecretKind,
    page: { exceptKeyId: string | null; afterId: string | null; limit: number },
  ): Promise<SealedSecretRow[]>;
  /**
   * Writes the batch in one transaction, each row only if it still holds `from` (compare-and-swap:
   * a row a serving instance changed meanwhile is left as it is). Returns how many were written.
   */
  replaceSealedSecrets(kind: SealedSecretKind, batch: Resealing[]): Promise<number>;
}
