/** The user aggregate as the domain sees it. Times are epoch milliseconds. */
export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  roles: string[];
  disabledAt: number | null;
  /** True while the user has a second factor: an enabled TOTP or at least one passkey (issue 5). */
  mfaEnabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Only login and password change ever load the hash. */
export interface UserWithPassword extends User {
  passwordHash: string | null;
}

export const DEFAULT_ROLES: readonly string[] = ["user"];
