/** A registered WebAuthn credential (passkey), and the port `src/store/sql` implements for them. */

export interface WebAuthnCredentialRecord {
  /** Our id for it (the `:id` of `DELETE /v1/webauthn/credentials/:id`). */
  id: string;
  userId: string;
  /** The authenticator's credential id, base64url. */
  credentialId: string;
  /** The COSE public key. */
  publicKey: Uint8Array;
  /** The signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  transports: string[];
  /** `singleDevice` or `multiDevice` (a synced passkey). */
  deviceType: string;
  backedUp: boolean;
  aaguid: string | null;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface WebAuthnCredentialStore {
  /** `credential_taken` when the credential id is registered already (to anyone). */
  insertWebAuthnCredential(credential: WebAuthnCredentialRecord): Promise<"inserted" | "credential_taken">;
  findWebAuthnCredentialByCredentialId(credentialId: string): Promise<WebAuthnCredentialRecord | undefined>;
  /** Oldest first. */
  listWebAuthnCredentialsOfUser(userId: string): Promise<WebAuthnCredentialRecord[]>;
  /**
   * Compare-and-swap on the signature counter: records a use only while the stored counter is
   * still `expectedCounter`, so two assertions racing with one counter value cannot both pass.
   */
  recordWebAuthnUse(id: string, expectedCounter: number, newCounter: number, at: number): Promise<boolean>;
  /** The credential, when it is the user's and this call deleted it. */
  deleteWebAuthnCredentialOfUser(userId: string, id: string): Promise<WebAuthnCredentialRecord | undefined>;
  deleteWebAuthnCredentialsOfUser(userId: string): Promise<number>;
}
