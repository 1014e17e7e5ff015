/**
 * Signing keys and the access tokens they sign (RFC 9068 JWTs): the key ring every instance
 * re-reads so a rotation elsewhere is picked up, the issuer and the verifier. Serves discovery
 * (the JWKS and the authorization server metadata).
 */
import {
  type AccessTokenIssuer,
  type AccessTokenVerifier,
  createAccessTokenIssuer,
  createAccessTokenVerifier,
} from "../domain/tokens/access-token.js";
import { deriveKeyEncryptionKey } from "../domain/tokens/key-encryption.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import { createSigningKeyService, type SigningKeyService } from "../domain/tokens/signing-key-service.js";
import { discoveryRoutes } from "../http/routes/discovery/discovery-routes.js";
import type { Platform } from "./platform-feature.js";

/** How often each instance re-reads signing keys, so a rotation elsewhere is picked up. */
const KEY_RELOAD_INTERVAL_MS = 5_000;

export interface SigningKeys {
  signingKeys: SigningKeyService;
  /** The keys in use; `version` changes only when the set of keys does. */
  keyRing: KeyRing;
  issuer: AccessTokenIssuer;
  verifier: AccessTokenVerifier;
}

/** Loads (or creates) the signing keys before returning. */
export async function startSigningKeys({ config, clock, persistence, host }: Platform): Promise<SigningKeys> {
  const signingKeys = createSigningKeyService({
    persistence,
    clock,
    kek: deriveKeyEncryptionKey(config.secret),
    // Secret rotation: keys sealed under a previous secret still open (`secrets reseal` moves them on).
    previousKeks: config.previousSecrets.map(deriveKeyEncryptionKey),
    algorithm: config.signingAlgorithm,
    retiredKeyRetentionMs: (config.accessTokenTtlSeconds + 60) * 1000 + KEY_RELOAD_INTERVAL_MS,
  });
  const keyRing = await signingKeys.initialize();
  const issuer = createAccessTokenIssuer({
    keyRing,
    issuer: config.publicUrl,
    audience: config.audience,
    ttlSeconds: config.accessTokenTtlSeconds,
    clock,
  });
  const verifier = createAccessTokenVerifier({
    keyRing,
    issuer: config.publicUrl,
    audience: config.audience,
    algorithms: [config.signingAlgorithm],
    clock,
    cacheSize: config.cacheEntries,
  });
  host.every(KEY_RELOAD_INTERVAL_MS, () => signingKeys.reload(), "signing key reload failed");
  host.serve(discoveryRoutes);
  return { signingKeys, keyRing, issuer, verifier };
}
