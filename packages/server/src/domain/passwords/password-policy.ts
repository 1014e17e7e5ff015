/**
 * Which passwords Portcullis accepts when one is chosen or changed. It follows NIST SP 800-63B
 * §5.1.1.2 (§3.1.1.2 in revision 4) and the OWASP Authentication Cheat Sheet: a minimum length of 8,
 * a generous maximum, every character allowed (spaces, emoji, any script), no composition rules,
 * and a refusal of passwords found in breach corpora or equal to the account's own email.
 * Passwords are NFKC-normalised first, as NIST SP 800-63B recommends (NFKC or NFKD), so the
 * same password typed on different keyboards or input methods hashes the same.
 */

/**
 * Shortest password accepted, in Unicode code points. NIST SP 800-63B requires at least 8;
 * revision 4 asks 15 when the password is the only factor and keeps 8 alongside a second factor.
 */
export const PASSWORD_MIN_LENGTH = 8;
/** Longest password accepted, in Unicode code points (NIST SP 800-63B: allow at least 64). */
export const PASSWORD_MAX_LENGTH = 256;

/** Why a password was refused; several can apply at once. */
export type PasswordWeakness = "too_short" | "too_long" | "common" | "contains_email";

/**
 * NFKC normalisation, applied before policy checks and before hashing.
 *
 * @example
 * normalizePassword("ｐａｓｓｗｏｒｄ１２３"); // "password123"
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** What the policy needs from outside the domain. */
export interface PasswordPolicyDeps {
  /** True when the password is on the breached/common list; the implementation handles case. */
  isCommonPassword(password: string): boolean;
}

export interface PasswordPolicy {
  /** Reasons to refuse an already-normalised password; `[]` when it is acceptable. */
  check(normalizedPassword: string, context?: { email?: string }): PasswordWeakness[];
}

// The local part alone is only refused from 3 code points up, so that a short mailbox name
// such as "jo" does not forbid every password that happens to equal it.
const MIN_LOCAL_PART_LENGTH = 3;

/** Counts code points, not UTF-16 units: an emoji is one character to the user. */
function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function equalsEmail(password: string, email: string): boolean {
  // toLowerCase (not toLocaleLowerCase) so the outcome does not depend on the server's locale.
  const candidate = password.toLowerCase();
  const address = normalizePassword(email).toLowerCase();
  if (candidate === address) return true;
  const at = address.lastIndexOf("@");
  if (at < 0) return false;
  const localPart = address.slice(0, at);
  return codePointLength(localPart) >= MIN_LOCAL_PART_LENGTH && candidate === localPart;
}

/**
 * Builds the password policy.
 *
 * @example
 * const policy = createPasswordPolicy({ isCommonPassword: loadCommonPasswords() });
 * policy.check(normalizePassword(input), { email: "ada@example.com" }); // [] or ["common", …]
 */
export function createPasswordPolicy(deps: PasswordPolicyDeps): PasswordPolicy {
  return {
    check(normalizedPassword, context) {
      const weaknesses: PasswordWeakness[] = [];
      const length = codePointLength(normalizedPassword);
      if (length < PASSWORD_MIN_LENGTH) weaknesses.push("too_short");
      if (length > PASSWORD_MAX_LENGTH) weaknesses.push("too_long");
      if (deps.isCommonPassword(normalizedPassword)) weaknesses.push("common");
      const email = context?.email;
      if (email !== undefined && email !== "" && equalsEmail(normalizedPassword, email)) {
        weaknesses.push("contains_email");
      }
      return weaknesses;
    },
  };
}
