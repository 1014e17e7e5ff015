/**
 * Password hashes made by other systems, which users bring along when they move to Portcullis:
 * PBKDF2 (RFC 8018 §5.2) as Django stores it and in the PHC-style form of passlib, Auth0 and a
 * Keycloak export; scrypt (RFC 7914) in the PHC form of passlib, which Better Auth's hashes are
 * turned into; and Firebase's modified scrypt (scrypt, then AES-256-CTR over the project's
 * signer key). They are only ever verified, never made: the hasher replaces each one
 * with argon2id at the owner's first sign-in. Every string is self-describing, since the
 * verifier gets nothing else. Digests are compared in constant time.
 *
 * Accepted forms:
 * - Django `pbkdf2_sha256$ITERATIONS$SALT$BASE64` (and `pbkdf2_sha1`); the salt is text.
 * - `$pbkdf2-sha256$i=ITERATIONS[,l=LENGTH]$SALT$HASH` (also `-sha1`, `-sha512`; `ITERATIONS`
 *   alone as passlib writes it), salt and hash in base64 with `+` or passlib's `.`, padding optional.
 * - `$scrypt$ln=LOG2_N,r=R,p=P$SALT$HASH` (passlib), salt and hash in base64 as above; Better
 *   Auth's `SALT:KEY` (hex) becomes one with `betterAuthScryptHash`.
 * - `$firebase-scrypt$m=MEM_COST,r=ROUNDS,s=SALT_SEPARATOR,k=SIGNER_KEY$SALT$HASH`, every value
 *   base64 without padding: built by `firebaseScryptHash` from a Firebase export.
 */
import { createCipheriv, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";

export type ImportedHashScheme = "pbkdf2" | "scrypt" | "firebase-scrypt";

/** Highest PBKDF2 iteration count accepted: ten times Django's current default, so a login stays bounded. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** Firebase's own bounds for its scrypt (`auth:import --mem-cost`, `--rounds`). */
export const FIREBASE_MEM_COST_RANGE = { min: 1, max: 14 } as const;
export const FIREBASE_ROUNDS_RANGE = { min: 1, max: 8 } as const;
/** Most memory one scrypt verification may take (128·N·r bytes): what keeps a login's cost bounded. */
const MAX_SCRYPT_MEMORY_BYTES = 64 * 1024 * 1024;

type Pbkdf2Digest = "sha1" | "sha256" | "sha512";

interface Pbkdf2Hash {
  scheme: "pbkdf2";
  digest: Pbkdf2Digest;
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

interface FirebaseScryptHash {
  scheme: "firebase-scrypt";
  memCost: number;
  rounds: number;
  saltSeparator: Buffer;
  signerKey: Buffer;
  salt: Buffer;
  hash: Buffer;
}

interface ScryptHash {
  scheme: "scrypt";
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

type ParsedImportedHash = Pbkdf2Hash | ScryptHash | FirebaseScryptHash;

const DIGEST_BYTES: Record<Pbkdf2Digest, number> = { sha1: 20, sha256: 32, sha512: 64 };

const BASE64 = /^[A-Za-z0-9+/.]+={0,2}$/;
const DJANGO_PBKDF2 = /^pbkdf2_(sha1|sha256)\$(\d{1,9})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/;
const PHC_PBKDF2 = /^\$pbkdf2-(sha1|sha256|sha512)\$(?:i=)?(\d{1,9})(?:,l=(\d{1,3}))?\$([^$]+)\$([^$]+)$/;
const PHC_SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([^$]+)\$([^$]+)$/;
const BETTER_AUTH_SCRYPT = /^([0-9a-f]{32}):([0-9a-f]{128})$/;
const FIREBASE_SCRYPT =
  /^\$firebase-scrypt\$m=(\d{1,2}),r=(\d{1,2}),s=([A-Za-z0-9+/]*),k=([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Standard base64, or passlib's "adapted" alphabet (`.` for `+`), with or without padding. */
function decodeBase64(value: string): Buffer | null {
  if (!BASE64.test(value)) return null;
  const standard = value.replace(/\./g, "+").replace(/=+$/, "");
  // A lone trailing character carries fewer than 8 bits: not base64 at all.
  if (standard.length % 4 === 1) return null;
  return Buffer.from(standard, "base64");
}

const unpadded = (bytes: Buffer): string => bytes.toString("base64").replace(/=+$/, "");

const inRange = (value: number, range: { min: number; max: number }): boolean =>
  Number.isInteger(value) && value >= range.min && value <= range.max;

function parsePbkdf2(storedHash: string): Pbkdf2Hash | null {
  const django = DJANGO_PBKDF2.exec(storedHash);
  if (django !== null) {
    const [, digest, iterations, salt, hash] = django as unknown as [
      string,
      "sha1" | "sha256",
      string,
      string,
      string,
    ];
    const decoded = decodeBase64(hash);
    const parsed = { digest, iterations: Number(iterations) };
    if (decoded === null || decoded.length !== DIGEST_BYTES[digest]) return null;
    if (!inRange(parsed.iterations, { min: 1, max: MAX_PBKDF2_ITERATIONS })) return null;
    // Django hashes the salt as the text it stores.
    return { scheme: "pbkdf2", ...parsed, salt: Buffer.from(salt, "utf8"), hash: decoded };
  }
  const phc = PHC_PBKDF2.exec(storedHash);
  if (phc === null) return null;
  const [, digest, iterations, length, salt, hash] = phc as unknown as [
    string,
    Pbkdf2Digest,
    string,
    string | undefined,
    string,
    string,
  ];
  const saltBytes = decodeBase64(salt);
  const hashBytes = decodeBase64(hash);
  if (saltBytes === null || hashBytes === null || saltBytes.length === 0) return null;
  // Keycloak derives 512 bits whatever the digest; the length written (or the hash's own) decides.
  if (hashBytes.length < 16 || (length !== undefined && Number(length) !== hashBytes.length)) return null;
  if (!inRange(Number(iterations), { min: 1, max: MAX_PBKDF2_ITERATIONS })) return null;
  return { scheme: "pbkdf2", digest, iterations: Number(iterations), salt: saltBytes, hash: hashBytes };
}

function parseFirebaseScrypt(storedHash: string): FirebaseScryptHash | null {
  const match = FIREBASE_SCRYPT.exec(storedHash);
  if (match === null) return null;
  const [, memCost, rounds, separator = "", signerKey = "", salt = "", hash = ""] =
    match as unknown as string[];
  const saltSeparator = separator === "" ? Buffer.alloc(0) : decodeBase64(separator);
  const signerKeyBytes = decodeBase64(signerKey);
  const saltBytes = decodeBase64(salt);
  const hashBytes = decodeBase64(hash);
  if (saltSeparator === null || signerKeyBytes === null || saltBytes === null || hashBytes === null)
    return null;
  const parsed = { memCost: Number(memCost), rounds: Number(rounds) };
  if (!inRange(parsed.memCost, FIREBASE_MEM_COST_RANGE) || !inRange(parsed.rounds, FIREBASE_ROUNDS_RANGE))
    return null;
  // AES-CTR output is as long as its input: the stored hash is the encrypted signer key.
  if (hashBytes.length !== signerKeyBytes.length) return null;
  return {
    scheme: "firebase-scrypt",
    ...parsed,
    saltSeparator,
    signerKey: signerKeyBytes,
    salt: saltBytes,
    hash: hashBytes,
  };
}

function parseScrypt(storedHash: string): ScryptHash | null {
  const match = PHC_SCRYPT.exec(storedHash);
  if (match === null) return null;
  const [, logN, r, p, salt = "", hash = ""] = match as unknown as string[];
  const parsed = { logN: Number(logN), r: Number(r), p: Number(p) };
  const saltBytes = decodeBase64(salt);
  const hashBytes = decodeBase64(hash);
  if (saltBytes === null || hashBytes === null || saltBytes.length === 0 || hashBytes.length < 16)
    return null;
  if (parsed.logN < 1 || parsed.r < 1 || parsed.p < 1 || parsed.p > 16) return null;
  if (128 * 2 ** parsed.logN * parsed.r > MAX_SCRYPT_MEMORY_BYTES) return null;
  return { scheme: "scrypt", ...parsed, salt: saltBytes, hash: hashBytes };
}

function parseImportedHash(storedHash: string): ParsedImportedHash | null {
  if (storedHash.startsWith("$firebase-scrypt$")) return parseFirebaseScrypt(storedHash);
  if (storedHash.startsWith("$scrypt$")) return parseScrypt(storedHash);
  return parsePbkdf2(storedHash);
}

/** Better Auth's parameters (`@better-auth/utils/password`): N = 2^14, r = 16, p = 1, 64 bytes. */
const BETTER_AUTH_LOG_N = 14;
const BETTER_AUTH_R = 16;

/**
 * Better Auth's `SALT:KEY` (hex; the salt's hex text is what it hashes with) as a `$scrypt$`
 * string, or null when the value is not in that shape.
 *
 * @example betterAuthScryptHash("9f86…d015:97d4…6674") // "$scrypt$ln=14,r=16,p=1$OWY4NmQw…$l9R99dVH…"
 */
export function betterAuthScryptHash(value: string): string | null {
  const match = BETTER_AUTH_SCRYPT.exec(value);
  if (match === null) return null;
  const [, salt = "", key = ""] = match;
  return `$scrypt$ln=${BETTER_AUTH_LOG_N},r=${BETTER_AUTH_R},p=1$${unpadded(Buffer.from(salt, "utf8"))}$${unpadded(Buffer.from(key, "hex"))}`;
}

/**
 * Which imported scheme a stored hash uses, after a full syntax check (every part decodes, the
 * digest has its length, parameters are within bounds); null when it is none of them.
 *
 * @example identifyImportedHash("pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=") // "pbkdf2"
 */
export function identifyImportedHash(storedHash: string): ImportedHashScheme | null {
  return parseImportedHash(storedHash)?.scheme ?? null;
}

function derivePbkdf2(password: string, parsed: Pbkdf2Hash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, parsed.salt, parsed.iterations, parsed.hash.length, parsed.digest, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

function deriveScrypt(password: string, parsed: ScryptHash): Promise<Buffer> {
  const N = 2 ** parsed.logN;
  const maxmem = 128 * N * parsed.r + 128 * parsed.r * parsed.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      parsed.salt,
      parsed.hash.length,
      { N, r: parsed.r, p: parsed.p, maxmem },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}

const SCRYPT_KEY_BYTES = 64;

/**
 * Firebase's scrypt (github.com/firebase/scrypt): scrypt(password, salt ‖ separator, N = 2^memCost,
 * r = rounds, p = 1, 64 bytes); its first 32 bytes key AES-256-CTR with a zero IV, which
 * encrypts the signer key; the ciphertext is the stored hash.
 */
function deriveFirebaseScrypt(password: string, parsed: FirebaseScryptHash): Promise<Buffer> {
  const N = 2 ** parsed.memCost;
  // RFC 7914 §2: scrypt needs 128·N·r bytes; Node refuses above `maxmem` (32 MiB by default).
  const maxmem = 128 * N * parsed.rounds + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      Buffer.concat([parsed.salt, parsed.saltSeparator]),
      SCRYPT_KEY_BYTES,
      { N, r: parsed.rounds, p: 1, maxmem },
      (error, derived) => {
        if (error !== null) {
          reject(error);
          return;
        }
        const cipher = createCipheriv("aes-256-ctr", derived.subarray(0, 32), Buffer.alloc(16));
        resolve(Buffer.concat([cipher.update(parsed.signerKey), cipher.final()]));
      },
    );
  });
}

/**
 * Checks a password against an imported hash: true or false, or `"unreadable"` when the string
 * is not one of the accepted forms. Runs off the event loop (libuv's thread pool).
 *
 * @example await verifyImportedHash(stored, "lètmein") // true
 */
export async function verifyImportedHash(
  storedHash: string,
  password: string,
): Promise<boolean | "unreadable"> {
  const parsed = parseImportedHash(storedHash);
  if (parsed === null) return "unreadable";
  const derived =
    parsed.scheme === "pbkdf2"
      ? await derivePbkdf2(password, parsed)
      : parsed.scheme === "scrypt"
        ? await deriveScrypt(password, parsed)
        : await deriveFirebaseScrypt(password, parsed);
  return derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
}

/** A Firebase project's "Password hash parameters" (Authentication → Users → ⋮), as the console shows them. */
export interface FirebaseHashParameters {
  /** `base64_signer_key`. */
  signerKey: string;
  /** `base64_salt_separator`. */
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

/**
 * Checks a project's parameters; throws listing every problem (they come from the operator, once).
 *
 * @example validateFirebaseHashParameters({ signerKey: "jxspr8…", saltSeparator: "Bw==", rounds: 8, memCost: 14 })
 */
export function validateFirebaseHashParameters(parameters: FirebaseHashParameters): void {
  const problems: string[] = [];
  const signerKey = decodeBase64(parameters.signerKey);
  if (signerKey === null || signerKey.length === 0) problems.push("the signer key must be base64");
  if (parameters.saltSeparator !== "" && decodeBase64(parameters.saltSeparator) === null)
    problems.push("the salt separator must be base64");
  if (!inRange(parameters.rounds, FIREBASE_ROUNDS_RANGE))
    problems.push(
      `rounds must be an integer from ${FIREBASE_ROUNDS_RANGE.min} to ${FIREBASE_ROUNDS_RANGE.max}`,
    );
  if (!inRange(parameters.memCost, FIREBASE_MEM_COST_RANGE))
    problems.push(
      `the memory cost must be an integer from ${FIREBASE_MEM_COST_RANGE.min} to ${FIREBASE_MEM_COST_RANGE.max}`,
    );
  if (problems.length > 0) throw new Error(`Invalid Firebase hash parameters: ${problems.join("; ")}`);
}

/**
 * The self-describing form of a Firebase user's hash: their `passwordHash` and `salt` (base64, as
 * `firebase auth:export` writes them) with the project's parameters. Null when either part is
 * not base64 or the hash cannot be this project's (its length differs from the signer key's).
 *
 * @example firebaseScryptHash(parameters, "42xEC+ixf3L2lw==", "lSrfV15c…lQ==") // "$firebase-scrypt$m=14,r=8,s=Bw,k=…$…$…"
 */
export function firebaseScryptHash(
  parameters: FirebaseHashParameters,
  salt: string,
  hash: string,
): string | null {
  validateFirebaseHashParameters(parameters);
  // Firebase's API speaks URL-safe base64; its exporter converts, but a hand-made file may not.
  const toStandard = (value: string) => value.trim().replace(/-/g, "+").replace(/_/g, "/");
  const saltBytes = decodeBase64(toStandard(salt));
  const hashBytes = decodeBase64(toStandard(hash));
  const signerKey = decodeBase64(parameters.signerKey) as Buffer;
  const separator = decodeBase64(parameters.saltSeparator) ?? Buffer.alloc(0);
  if (saltBytes === null || hashBytes === null || saltBytes.length === 0) return null;
  if (hashBytes.length !== signerKey.length) return null;
  return (
    `$firebase-scrypt$m=${parameters.memCost},r=${parameters.rounds},s=${unpadded(separator)},` +
    `k=${unpadded(signerKey)}$${unpadded(saltBytes)}$${unpadded(hashBytes)}`
  );
}
