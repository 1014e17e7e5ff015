/**
 * Backup codes (ASVS "lookup secrets"): ten per user, shown once, each good for one sign-in.
 *
 * Each code is 24 characters of Crockford base32 from the CSPRNG: 120 bits (ASVS 6.5.3, 6.5.4).
 * ASVS 6.5.2 asks for a salted password hash only for lookup secrets under 112 bits; at 120 bits
 * guessing is hopeless whatever the hash, so an unsalted SHA-256 is enough — and it lets a code
 * be found with one indexed lookup and spent with one compare-and-swap, where a password hash
 * would cost ten slow hashes per attempt. Input is forgiving: case, spaces and dashes do not
 * matter, and the letters Crockford maps (`i l` → 1, `o` → 0) are read as their digits.
 */
import { createHash, randomInt } from "node:crypto";

export const BACKUP_CODE_COUNT = 10;
const CODE_LENGTH = 24;
const GROUP = 4;
/** Crockford's base32: no i, l, o, u (they read as 1, 1, 0, or make words). */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const NORMALIZED = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

export interface GeneratedBackupCodes {
  /** To show the user once, formatted `xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`. */
  codes: string[];
  /** To store. */
  hashes: string[];
}

/** The code as it is hashed, or null when it cannot be a backup code. */
export function normalizeBackupCode(input: string): string | null {
  const normalized = input
    .toLowerCase()
    .replace(/[\s-]+/g, "")
    .replace(/[il]/g, "1")
    .replace(/o/g, "0");
  return NORMALIZED.test(normalized) ? normalized : null;
}

export function hashBackupCode(normalized: string): string {
  return createHash("sha256").update(normalized).digest("hex");
}

/**
 * @example
 * const { codes, hashes } = generateBackupCodes();
 * // codes[0] === "7k3m-9xqp-2hfd-…"; store hashes, show codes once
 */
export function generateBackupCodes(count = BACKUP_CODE_COUNT): GeneratedBackupCodes {
  const codes: string[] = [];
  const hashes: string[] = [];
  while (codes.length < count) {
    let raw = "";
    // randomInt is uniform (no modulo bias), 5 bits a character.
    for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    const hash = hashBackupCode(raw);
    if (hashes.includes(hash)) continue;
    hashes.push(hash);
    codes.push(raw.match(new RegExp(`.{${GROUP}}`, "g"))?.join("-") ?? raw);
  }
  return { codes, hashes };
}
