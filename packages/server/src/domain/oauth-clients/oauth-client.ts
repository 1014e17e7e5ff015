/**
 * The OAuth clients of the OpenID provider (API.md "The OpenID provider" → "Client
 * administration"), as the domain sees them, and the port `src/store/sql` implements for them.
 * A client's secret is never stored, only its SHA-256 (client-secret.ts); times are epoch
 * milliseconds.
 */

export const CLIENT_TYPES = ["confidential", "public"] as const;
/** RFC 6749 §2.1: a confidential client can keep a secret; a public one (a SPA, a native app) cannot. */
export type ClientType = (typeof CLIENT_TYPES)[number];

/** The grants the provider offers (no implicit, no password grant: OAuth 2.1). */
export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** The OpenID Connect scopes every deployment offers; `PORTCULLIS_SCOPES` adds API scopes. */
export const OPENID_SCOPES = ["openid", "profile", "email", "offline_access"] as const;

export interface OAuthClient {
  /** 16 random bytes, base64url: the `client_id`. */
  id: string;
  name: string;
  type: ClientType;
  /** SHA-256 of the secret, hex; null for a public client. Never leaves the server. */
  secretHash: string | null;
  /** Exact strings, matched exactly: no wildcard, no prefix. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  scopes: string[];
  /** Our own apps: the provider skips the consent page for them. */
  firstParty: boolean;
  /** OpenID Connect Back-Channel Logout 1.0: where the provider posts logout tokens. */
  backchannelLogoutUri: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What the provider asks of the registry: a client by its `client_id`, or null. */
export type FindClientById = (id: string) => Promise<OAuthClient | null>;

export interface OAuthClientStore {
  insertOAuthClient(client: OAuthClient): Promise<void>;
  findOAuthClientById(id: string): Promise<OAuthClient | undefined>;
  /** Oldest first. */
  listOAuthClients(): Promise<OAuthClient[]>;
  /** Writes every field but `id`, `type` and `createdAt`; false when there is no such client. */
  updateOAuthClient(client: OAuthClient): Promise<boolean>;
  /** False when there is no such client (it is public: see the service). */
  replaceOAuthClientSecretHash(id: string, secretHash: string, at: number): Promise<boolean>;
  /** True when this call deleted it. */
  deleteOAuthClient(id: string): Promise<boolean>;
}
