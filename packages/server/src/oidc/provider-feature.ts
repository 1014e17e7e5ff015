/**
 * The OpenID provider as one feature of the app: its storage, the provider itself, what follows
 * Portcullis sessions (a session that ends ends what it granted, on whichever instance hears of
 * it), the pruning timer, and what the pages and routes are given. Off when the signing
 * algorithm is HS256 (a client could not verify an ID token without the secret).
 */

import type { Clock } from "../domain/clock.js";
import type { EphemeralStore } from "../domain/ephemeral/ephemeral-store.js";
import type { FindClientById } from "../domain/oauth-clients/oauth-client.js";
import type { Persistence } from "../domain/persistence.js";
import type { RevocationBus, RevocationSet } from "../domain/sessions/revocation.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import { createAccessTokenVerifier } from "../domain/tokens/access-token.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { User } from "../domain/users/user.js";
import type { ResolvedConfig } from "../features/feature-context.js";
import { createBackchannelLogoutRepository } from "../store/sql/backchannel-logout-repository.js";
import type { SqlDatabase } from "../store/sql/database.js";
import {
  createOAuthGrantRepository,
  type OAuthGrantRepository,
} from "../store/sql/oauth-grant-repository.js";
import { createOidcModelRepository } from "../store/sql/oidc-model-repository.js";
import type { OpenIdPageDeps } from "../ui/consent/interaction-pages.js";
import { type BackchannelLogoutWorker, createBackchannelLogoutWorker } from "./backchannel-logout-worker.js";
import { createJwtTokenRequests, type JwtTokenRequests } from "./jwt-token-requests.js";
import { createOpenIdProvider, type OpenIdProvider } from "./openid-provider.js";

const PRUNE_INTERVAL_MS = 10 * 60_000;

export interface ProviderFeatureDeps {
  config: ResolvedConfig;
  clock: Clock;
  database: SqlDatabase;
  keyRing: KeyRing;
  findClientById: FindClientById;
  getUser(id: string): Promise<User | undefined>;
  persistence: Persistence;
  sessions: SessionService;
  revocations: RevocationSet;
  bus: RevocationBus;
  ephemeral: EphemeralStore;
  log: { warn(object: unknown, message: string): void };
}

export interface ProviderFeature {
  provider: OpenIdProvider;
  /** Introspection and revocation of the JWT access tokens the provider does not store. */
  jwtTokenRequests: JwtTokenRequests;
  /** The back-channel logout outbox's worker; tests step it with `drainOnce()`. */
  backchannelLogouts: Pick<BackchannelLogoutWorker, "drainOnce">;
  grants: OAuthGrantRepository;
  pages: OpenIdPageDeps;
  stop(): Promise<void>;
}

export function startProviderFeature(deps: ProviderFeatureDeps): ProviderFeature | undefined {
  const { config, clock, keyRing, persistence, log } = deps;
  if (config.signingAlgorithm === "HS256") return undefined;
  const grants = createOAuthGrantRepository(deps.database.db);
  const outbox = createBackchannelLogoutRepository(deps.database.db);
  const logoutWorker = createBackchannelLogoutWorker({
    outbox,
    findClientById: deps.findClientById,
    keyRing,
    issuer: config.publicUrl,
    clock,
    audit: async (type, userId, details) => {
      await persistence.audit.appendAuditEvent({
        type,
        userId,
        actorId: null,
        ip: null,
        userAgent: null,
        details,
        at: clock.now(),
      });
    },
    log,
  });
  const provider = createOpenIdProvider({
    config,
    clock,
    keyRing,
    findClientById: deps.findClientById,
    getUser: deps.getUser,
    persistence,
    models: createOidcModelRepository(deps.database.db, () => clock.now()),
    // Only a shared store will do: every instance must serve every step of a flow.
    shortLived: config.redisUrl === undefined ? undefined : deps.ephemeral,
    grants,
    revocations: deps.revocations,
    bus: deps.bus,
    logouts: { outbox, wake: logoutWorker.wake },
    endBrowserSession: async (session) => {
      await deps.sessions.revokeSession(session.userId, session.sessionId, "logout", {
        ip: "",
        userAgent: null,
      });
      // Here too, not only when the revocation comes round on the bus: before the app hears back.
      await provider.sessionsEnded([session.sessionId]);
    },
    log,
  });

  // One verifier per resource a token may be for (RFC 8707): each checks its own `aud`.
  const verifiers = config.resources.map((audience) =>
    createAccessTokenVerifier({
      keyRing,
      issuer: config.publicUrl,
      audience,
      algorithms: [config.signingAlgorithm],
      clock,
      cacheSize: config.cacheEntries,
    }),
  );
  const jwtTokenRequests = createJwtTokenRequests({
    issuer: config.publicUrl,
    findClientById: deps.findClientById,
    verify: (token) => {
      for (const verifier of verifiers) {
        const claims = verifier.verify(token);
        if (claims !== null) return claims;
      }
      return null;
    },
    isRevoked: (claims) => deps.revocations.isRevoked(claims.sid, claims.sub, claims.iat),
    revoke: (claims) => provider.revokeAccessToken(claims.sid, claims.client_id),
  });

  const warn = (message: string) => (error: unknown) => log.warn({ err: error }, message);
  // Every instance hears every revocation; the first to mark a grant revoked announces it.
  const unsubscribe = deps.bus.subscribe((event) => {
    if (event.kind === "session")
      void provider.sessionsEnded([event.sessionId]).catch(warn("ending grants failed"));
    if (event.kind === "user") void provider.userCutOff(event.userId).catch(warn("ending grants failed"));
  });
  const timer = setInterval(
    () => void provider.prune().catch(warn("pruning provider storage failed")),
    PRUNE_INTERVAL_MS,
  );
  timer.unref();
  logoutWorker.start();

  return {
    provider,
    backchannelLogouts: logoutWorker,
    jwtTokenRequests,
    grants,
    pages: {
      provider,
      findClientById: deps.findClientById,
      grants,
      now: () => clock.now(),
      listConnectedApps: async (userId) => {
        const consents = await grants.listConsentsOfUser(userId);
        const apps = await Promise.all(
          consents.map(async (consent) => {
            const client = await deps.findClientById(consent.clientId);
            return client === null
              ? null
              : { clientId: client.id, name: client.name, scopes: consent.scopes, since: consent.createdAt };
          }),
        );
        return apps.filter((app) => app !== null);
      },
      disconnectApp: (userId, clientId, actorId = userId) =>
        provider.withdrawConsent(userId, clientId, actorId),
      consentGranted: async (userId, clientId, scopes) => {
        await persistence.audit.appendAuditEvent({
          type: "consent.granted",
          userId,
          actorId: userId,
          ip: null,
          userAgent: null,
          details: { clientId, scopes: scopes.join(" ") },
          at: clock.now(),
        });
      },
    },
    async stop() {
      unsubscribe();
      clearInterval(timer);
      await logoutWorker.stop();
    },
  };
}
