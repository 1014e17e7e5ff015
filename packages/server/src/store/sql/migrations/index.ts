/** Every migration, in order. Listed in code (not read from a folder) so the built package needs no file scanning. */
import type { Migration } from "kysely";
import * as initial from "./0001-initial.js";
import * as mailAndRecovery from "./0002-mail-and-recovery.js";
import * as apiKeysAndAudit from "./0003-api-keys-and-audit.js";
import * as cookieSessions from "./0004-cookie-sessions.js";
import * as mfa from "./0005-mfa.js";
import * as identities from "./0006-identities.js";
import * as revocationIndexes from "./0007-revocation-indexes.js";
import * as identityAddressProof from "./0008-identity-address-proof.js";
import * as webhooks from "./0009-webhooks.js";
import * as oauthClients from "./0010-oauth-clients.js";
import * as openIdProvider from "./0011-openid-provider.js";
import * as redundantSessionIndex from "./0012-redundant-session-index.js";

export const migrations: Readonly<Record<string, Migration>> = {
  "0001-initial": initial,
  "0002-mail-and-recovery": mailAndRecovery,
  "0003-api-keys-and-audit": apiKeysAndAudit,
  "0004-cookie-sessions": cookieSessions,
  "0005-mfa": mfa,
  "0006-identities": identities,
  "0007-revocation-indexes": revocationIndexes,
  "0008-identity-address-proof": identityAddressProof,
  "0009-webhooks": webhooks,
  "0010-oauth-clients": oauthClients,
  "0011-openid-provider": openIdProvider,
  "0012-redundant-session-index": redundantSessionIndex,
};
