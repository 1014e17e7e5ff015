/**
 * DPoP (RFC 9449 §4.3, §7.1) at Portcullis's own userinfo endpoint: an access token bound to a
 * key (`cnf.jkt`) is accepted only with `Authorization: DPoP <token>` and a fresh proof signed by
 * that key for this request — method, URL, the token's hash (`ath`) — used once (`jti`). A bound
 * token presented as a bearer token is refused: whoever stole it lacks the key.
 */
import { createHash } from "node:crypto";
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from "jose";

/** RFC 9449 §11.1: how far a proof's `iat` may be from now. */
const PROOF_WINDOW_SECONDS = 60;
const PROOF_ALGORITHMS = ["ES256", "EdDSA", "RS256", "PS256"];

export interface DpopCheck {
  proof: string;
  method: string;
  /** The request's URL without query or fragment. */
  url: string;
  accessToken: string;
  /** The thumbprint the token is bound to. */
  jkt: string;
  nowMs: number;
  /** Records the proof's `jti`; false when it was seen already (a replay). */
  firstUse(jti: string, ttlMs: number): Promise<boolean>;
}

export async function verifyDpopProof(check: DpopCheck): Promise<boolean> {
  try {
    const { payload, protectedHeader } = await jwtVerify(check.proof, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: PROOF_ALGORITHMS,
      currentDate: new Date(check.nowMs),
    });
    const jwk = protectedHeader.jwk as JWK | undefined;
    if (jwk === undefined || (await calculateJwkThumbprint(jwk, "sha256")) !== check.jkt) return false;
    const ath = createHash("sha256").update(check.accessToken).digest("base64url");
    const nowSeconds = check.nowMs / 1000;
    if (
      payload.htm !== check.method ||
      payload.htu !== check.url ||
      payload.ath !== ath ||
      typeof payload.iat !== "number" ||
      Math.abs(payload.iat - nowSeconds) > PROOF_WINDOW_SECONDS ||
      typeof payload.jti !== "string" ||
      payload.jti.length > 256
    )
      return false;
    return await check.firstUse(`${check.jkt}:${payload.jti}`, 2 * PROOF_WINDOW_SECONDS * 1000);
  } catch {
    return false;
  }
}
