/**
 * `@portcullis/middleware`: what a resource server needs to trust Portcullis without calling it
 * on every request — local verification of access tokens (RFC 9068 JWTs checked against the
 * JWKS, RFC 8725 rules), API keys validated over RFC 7662 introspection, and instant revocation
 * over the Redis revocation bus. The framework adapters are `@portcullis/middleware/express`
 * and `@portcullis/middleware/fastify`; this entry point is the framework-neutral core.
 */
export {
  type ApiKeyClient,
  type ApiKeyClientOptions,
  type ApiKeyResult,
  createApiKeyClient,
} from "./api-keys.js";
export {
  type ApiKeyOptions,
  type AuthenticateOptions,
  type Authenticator,
  type AuthOutcome,
  createApiKeyAuthenticator,
  createAuthenticator,
  createRoleGuard,
  createScopeGuard,
} from "./authenticator.js";
export { createProblem, type Problem, type ProblemCode } from "./problems.js";
export {
  createRevocationListener,
  parseRevocationEvent,
  type RevocationCheck,
  type RevocationEvent,
  type RevocationListener,
  type RevocationListenerOptions,
  type RevocationStatus,
} from "./revocation.js";
export type {
  AccessTokenClaims,
  Algorithm,
  ApiKeyAuth,
  ApiKeyIntrospection,
  Clock,
  ErrorReporter,
  PortcullisAuth,
  TokenAuth,
} from "./types.js";
export {
  createTokenVerifier,
  type TokenFailure,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifyResult,
} from "./verifier.js";
