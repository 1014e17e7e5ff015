/** A provider identity linked to an account: who `subject` is at `provider`, as of linking. */
export interface Identity {
  id: string;
  userId: string;
  /** The provider id (`google`, `github`, a configured issuer's id). */
  provider: string;
  /** The provider's stable user id (`sub`, GitHub's numeric id); unique per provider. */
  subject: string;
  /** The address the provider gave when the identity was linked; for display only. */
  email: string | null;
  /**
   * The account's address was not verified when the identity was linked, so nobody had shown
   * the address was theirs: the identity is unlinked when the owner proves it (unproven-identities.ts).
   */
  linkedWhileUnverified: boolean;
  createdAt: number;
}
