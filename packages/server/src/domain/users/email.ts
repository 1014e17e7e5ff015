/**
 * Email normalisation: trim, Unicode NFKC, lower-case, then validate the RESULT (validating
 * before NFKC lets U+FF20 FULLWIDTH COMMERCIAL AT become a second `@`; see security.md §2.7).
 * Lower-casing the whole address deviates from RFC 5321's case-sensitive local part, as every
 * mainstream provider does, so that `Bob@x.io` and `bob@x.io` are one account.
 */

const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
// One `@`; no whitespace, control, quote, comma, angle bracket, parenthesis, bracket, backslash,
// semicolon or colon anywhere (these are what mail parsers split addresses on), no invisible
// format character (zero-width space, bidi override, soft hyphen: look-alike addresses); a dotted domain.
const SAFE_EMAIL =
  /^[^\s@"',;:<>()[\]\\\p{Cc}\p{Cf}]+@[^\s@"',;:<>()[\]\\\p{Cc}\p{Cf}]+\.[^\s@"',;:<>()[\]\\\p{Cc}\p{Cf}.][^\s@"',;:<>()[\]\\\p{Cc}\p{Cf}]*$/u;

/** The canonical form used for storage and comparison, or null when it is not an acceptable address. */
export function normalizeEmail(input: string): string | null {
  const email = input.trim().normalize("NFKC").toLowerCase().normalize("NFKC");
  if (email.length > MAX_EMAIL_LENGTH || !SAFE_EMAIL.test(email)) return null;
  const [local = "", domain = ""] = email.split("@");
  if (
    local.length > MAX_LOCAL_LENGTH ||
    domain.startsWith(".") ||
    domain.endsWith(".") ||
    domain.includes("..")
  ) {
    return null;
  }
  return email;
}
