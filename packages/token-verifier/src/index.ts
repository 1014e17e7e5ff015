/**
 * `@portcullis/token-verifier`: the one strict check of a Portcullis access token (an RFC 9068
 * JWT, RFC 7515 compact JWS, RFC 8725 rules), shared by the Portcullis server and
 * `@portcullis/middleware`. Dependency-free: node:crypto verifies, with `KeyObject`s the caller
 * opens once. No key fetching, and the cache of verified tokens is the caller's to use.
 */
export {
  type AccessTokenCheck,
  type AccessTokenCheckOptions,
  type AccessTokenCheckResult,
  type CheckedClaims,
  createAccessTokenCheck,
  createOffThreadAccessTokenCheck,
  KID_PATTERN,
  MAX_TOKEN_LENGTH,
  type OffThreadAccessTokenCheck,
  REFUSAL_REASONS,
  type RefusalReason,
} from "./access-token-check.js";
export { countMemberNames, decodeBase64Url, decodeJsonObject, isCanonicalBase64Url } from "./jws-segments.js";
export {
  JWS_ALGORITHMS,
  type JwsAlgorithm,
  type VerificationKey,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from "./jws-signature.js";
export { createVerifiedTokenCache, type VerifiedTokenCache } from "./verified-token-cache.js";
