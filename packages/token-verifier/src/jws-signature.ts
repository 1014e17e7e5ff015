/**
 * JWS signature verification (RFC 7515 §5.2, RFC 7518 §3) with node:crypto and a `KeyObject`
 * opened once: the algorithm bound to the key decides, and the key's type is checked again, so
 * that no token can make a public key serve as an HMAC secret (RFC 8725 §2.1).
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from "node:crypto";

/** The JWS algorithms Portcullis signs with; `none` is not one of them (RFC 8725 §3.2). */
export type JwsAlgorithm = "ES256" | "RS256" | "EdDSA" | "HS256";

export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(["ES256", "RS256", "EdDSA", "HS256"]);

/** A key that verifies tokens, bound to the one algorithm it may be used with. */
export interface VerificationKey {
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

const ES256_SIGNATURE_BYTES = 64;
const ED25519_SIGNATURE_BYTES = 64;

/** How node:crypto checks a public-key signature; what `verify` takes besides data and signature. */
interface PublicKeyVerification {
  readonly digest: string | null;
  readonly key: Parameters<typeof verify>[2];
}

/**
 * Whether `signature` is `entry`'s signature of `data`, by the algorithm bound to the key.
 *
 * @example
 * verifyJwsSignature({ alg: "ES256", key: publicKey }, Buffer.from(`${header}.${payload}`, "latin1"), signature);
 */
export function verifyJwsSignature(entry: VerificationKey, data: Buffer, signature: Buffer): boolean {
  if (entry.alg === "HS256") return verifyHmac(entry.key, data, signature);
  const verification = publicKeyVerification(entry, signature);
  return verification !== null && verify(verification.digest, data, verification.key, signature);
}

/**
 * As `verifyJwsSignature`, with a public-key check run on libuv's thread pool: the event loop
 * serves other requests meanwhile, and a machine's other cores share the work. Never rejects.
 */
export function verifyJwsSignatureOffThread(
  entry: VerificationKey,
  data: Buffer,
  signature: Buffer,
): Promise<boolean> {
  if (entry.alg === "HS256") return Promise.resolve(verifyHmac(entry.key, data, signature));
  const verification = publicKeyVerification(entry, signature);
  if (verification === null) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(verification.digest, data, verification.key, signature, (error, valid) =>
        resolve(error === null && valid),
      );
    } catch {
      // node:crypto may throw on odd keys or inputs: one more bad signature.
      resolve(false);
    }
  });
}

function verifyHmac(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (key.type !== "secret") return false;
  const expected = createHmac("sha256", key).update(data).digest();
  return signature.length === expected.length && timingSafeEqual(signature, expected);
}

/** What node:crypto needs to check a signature by `entry`'s key; null when it is refused unread. */
function publicKeyVerification(entry: VerificationKey, signature: Buffer): PublicKeyVerification | null {
  const { key } = entry;
  if (key.type !== "public") return null;
  switch (entry.alg) {
    case "ES256":
      // RFC 7518 §3.4: exactly R ‖ S, not DER; r = 0 or s = 0 is never valid (the
      // CVE-2022-21449 class), refused before OpenSSL sees it.
      if (signature.length !== ES256_SIGNATURE_BYTES) return null;
      if (isZero(signature, 0, 32) || isZero(signature, 32, 64)) return null;
      return { digest: "sha256", key: { key, dsaEncoding: "ieee-p1363" } };
    case "RS256":
      return { digest: "sha256", key: { key, padding: constants.RSA_PKCS1_PADDING } };
    case "EdDSA":
      if (signature.length !== ED25519_SIGNATURE_BYTES) return null;
      return { digest: null, key };
    case "HS256":
      return null;
  }
}

function isZero(bytes: Buffer, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) if (bytes[index] !== 0) return false;
  return true;
}
