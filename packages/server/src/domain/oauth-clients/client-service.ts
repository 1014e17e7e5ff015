/**
 * The registry of the OpenID provider's OAuth clients (API.md "Client administration"): create,
 * list, read, change, rotate the secret, delete. The admin API, the console and the CLI all come
 * here; the provider reads clients through `findClientById`.
 *
 * - A confidential client gets a secret at creation and at each rotation, returned that once;
 *   only its SHA-256 is kept (client-secret.ts), so a rotation ends the old secret at once.
 * - A client's type is fixed when it is made: a public client given a secret later, or a
 *   confidential one losing it, would change what every grant it holds was issued under.
 * - Each change is one transaction with its audit event (`client.*`, never the secret). After
 *   the commit the change listeners hear the client's id, so a provider caching clients drops it.
 * - Deleting a client also revokes its grants and tokens (`clientGrants`). The row goes first, so
 *   no new grant can follow; tokens the client still holds name a client that no longer exists.
 */
import { randomBytes } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { Persistence, Stores } from "../persistence.js";
import {
  type ClientFieldError,
  type ClientRules,
  type ClientSettings,
  checkClientSettings,
  normalizeClientSettings,
} from "./client-registration.js";
import { generateClientSecret, hashClientSecret, type RandomSource } from "./client-secret.js";
import type { ClientType, GrantType, OAuthClient } from "./oauth-client.js";

/** The provider's side of a deleted client: every grant, token and code it holds is revoked. */
export interface ClientGrants {
  revokeEverythingOfClient(clientId: string): Promise<void>;
}

export interface ClientServiceDeps {
  persistence: Persistence;
  clock: Clock;
  rules: ClientRules;
  clientGrants: ClientGrants;
  random?: RandomSource;
  /** A change listener threw; the change itself is committed (see `onChange`). */
  onListenerError?: (error: unknown) => void;
}

/** The administrator acting, and from where; null for the CLI. */
export type ClientAdminActor = { userId: string; client: ClientContext } | null;

export interface CreateClientInput {
  name: string;
  type: ClientType;
  grantTypes: string[];
  scopes: string[];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  backchannelLogoutUri?: string | null;
}

/** Any of the create fields but `type`. */
export interface ClientChanges {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: string[];
  scopes?: string[];
  firstParty?: boolean;
  backchannelLogoutUri?: string | null;
  /** Refused whatever its value: the type is fixed when the client is made. */
  type?: string;
}

export type CreateClientOutcome =
  /** `clientSecret`: the confidential client's secret, shown this once; null for a public client. */
  | { ok: true; client: OAuthClient; clientSecret: string | null }
  | { ok: false; code: "invalid"; errors: ClientFieldError[] };

export type UpdateClientOutcome =
  | { ok: true; client: OAuthClient }
  | { ok: false; code: "not_found" }
  | { ok: false; code: "invalid"; errors: ClientFieldError[] };

export type RotateClientSecretOutcome =
  | { ok: true; client: OAuthClient; clientSecret: string }
  | { ok: false; code: "not_found" }
  /** A public client has no secret to rotate. */
  | { ok: false; code: "public_client" };

export interface ClientService {
  createClient(input: CreateClientInput, actor: ClientAdminActor): Promise<CreateClientOutcome>;
  /** Oldest first. */
  listClients(): Promise<OAuthClient[]>;
  getClient(id: string): Promise<OAuthClient | null>;
  /** The port the OpenID provider reads clients through. */
  findClientById(id: string): Promise<OAuthClient | null>;
  updateClient(id: string, changes: ClientChanges, actor: ClientAdminActor): Promise<UpdateClientOutcome>;
  rotateClientSecret(id: string, actor: ClientAdminActor): Promise<RotateClientSecretOutcome>;
  /** False when there is no such client. */
  deleteClient(id: string, actor: ClientAdminActor): Promise<boolean>;
  /**
   * Calls `listener` with a client's id after each committed change to it (created, changed,
   * secret rotated, deleted) on this instance. Returns the function that stops it.
   * @example const stop = clients.onChange((clientId) => cache.delete(clientId));
   */
  onChange(listener: (clientId: string) => void): () => void;
}

const CLIENT_ID_BYTES = 16;

/**
 * 16 random bytes, base64url, drawn again when it would begin with `-` or `_` (1 in 32): an id
 * that begins with `-` reads as an option on a command line (`portcullis clients delete -fh2…`).
 */
function newClientId(random: RandomSource): string {
  for (;;) {
    const id = random(CLIENT_ID_BYTES).toString("base64url");
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}
const FIELDS = [
  "name",
  "redirectUris",
  "postLogoutRedirectUris",
  "grantTypes",
  "scopes",
  "firstParty",
  "backchannelLogoutUri",
] as const satisfies readonly (keyof ClientSettings)[];

export function createClientService(deps: ClientServiceDeps): ClientService {
  const { persistence, clock, rules } = deps;
  const random = deps.random ?? randomBytes;
  const listeners = new Set<(clientId: string) => void>();

  function announce(clientId: string): void {
    for (const listener of listeners) {
      // A listener drops a cache; its failure must not turn a committed change into an error.
      try {
        listener(clientId);
      } catch (error) {
        deps.onListenerError?.(error);
      }
    }
  }

  function record(
    stores: Stores,
    type: "client.created" | "client.updated" | "client.deleted" | "client.secret_rotated",
    client: OAuthClient,
    actor: ClientAdminActor,
    at: number,
    extra: Record<string, string> = {},
  ) {
    return stores.audit.appendAuditEvent({
      type,
      userId: null,
      actorId: actor?.userId ?? null,
      ip: actor?.client.ip ?? null,
      userAgent: actor?.client.userAgent ?? null,
      details: { clientId: client.id, name: client.name, ...extra },
      at,
    });
  }

  /** The settings validated, or every problem with them. */
  function validated(settings: ClientSettings) {
    const normalized = normalizeClientSettings(settings);
    const errors = checkClientSettings(normalized, rules);
    return errors.length > 0
      ? ({ ok: false, errors } as const)
      : ({ ok: true, settings: normalized } as const);
  }

  const findClientById = async (id: string) =>
    (await persistence.oauthClients.findOAuthClientById(id)) ?? null;

  return {
    async createClient(input, actor) {
      const checked = validated({
        name: input.name,
        type: input.type,
        grantTypes: input.grantTypes,
        scopes: input.scopes,
        redirectUris: input.redirectUris ?? [],
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        firstParty: input.firstParty ?? false,
        backchannelLogoutUri: input.backchannelLogoutUri ?? null,
      });
      if (!checked.ok) return { ok: false, code: "invalid", errors: checked.errors };
      const now = clock.now();
      const clientSecret = input.type === "confidential" ? generateClientSecret(random) : null;
      const client: OAuthClient = {
        ...checked.settings,
        id: newClientId(random),
        // Checked above: only the grant types the server offers are left.
        grantTypes: checked.settings.grantTypes as GrantType[],
        secretHash: clientSecret === null ? null : hashClientSecret(clientSecret),
        createdAt: now,
        updatedAt: now,
      };
      await persistence.transaction(async (stores) => {
        await stores.oauthClients.insertOAuthClient(client);
        await record(stores, "client.created", client, actor, now, { type: client.type });
      });
      announce(client.id);
      return { ok: true, client, clientSecret };
    },

    listClients: () => persistence.oauthClients.listOAuthClients(),

    getClient: findClientById,

    findClientById,

    async updateClient(id, changes, actor) {
      if (changes.type !== undefined) {
        return {
          ok: false,
          code: "invalid",
          errors: [
            {
              pointer: "/type",
              code: "type_fixed",
              detail: "is fixed when the client is created; register a new client",
            },
          ],
        };
      }
      const now = clock.now();
      let changedAny = false;
      const outcome = await persistence.transaction(async (stores): Promise<UpdateClientOutcome> => {
        const current = await stores.oauthClients.findOAuthClientById(id);
        if (current === undefined) return { ok: false, code: "not_found" };
        const checked = validated({
          name: changes.name ?? current.name,
          type: current.type,
          redirectUris: changes.redirectUris ?? current.redirectUris,
          postLogoutRedirectUris: changes.postLogoutRedirectUris ?? current.postLogoutRedirectUris,
          grantTypes: changes.grantTypes ?? current.grantTypes,
          scopes: changes.scopes ?? current.scopes,
          firstParty: changes.firstParty ?? current.firstParty,
          backchannelLogoutUri:
            changes.backchannelLogoutUri === undefined
              ? current.backchannelLogoutUri
              : changes.backchannelLogoutUri,
        });
        if (!checked.ok) return { ok: false, code: "invalid", errors: checked.errors };
        const changed = FIELDS.filter(
          (field) => JSON.stringify(checked.settings[field]) !== JSON.stringify(current[field]),
        );
        if (changed.length === 0) return { ok: true, client: current };
        const client: OAuthClient = {
          ...current,
          ...checked.settings,
          grantTypes: checked.settings.grantTypes as GrantType[],
          updatedAt: now,
        };
        await stores.oauthClients.updateOAuthClient(client);
        await record(stores, "client.updated", client, actor, now, { changed: changed.join(" ") });
        changedAny = true;
        return { ok: true, client };
      });
      if (changedAny) announce(id);
      return outcome;
    },

    async rotateClientSecret(id, actor) {
      const now = clock.now();
      const clientSecret = generateClientSecret(random);
      const outcome = await persistence.transaction(async (stores): Promise<RotateClientSecretOutcome> => {
        const current = await stores.oauthClients.findOAuthClientById(id);
        if (current === undefined) return { ok: false, code: "not_found" };
        if (current.type === "public") return { ok: false, code: "public_client" };
        const secretHash = hashClientSecret(clientSecret);
        await stores.oauthClients.replaceOAuthClientSecretHash(id, secretHash, now);
        const client = { ...current, secretHash, updatedAt: now };
        await record(stores, "client.secret_rotated", client, actor, now);
        return { ok: true, client, clientSecret };
      });
      if (outcome.ok) announce(id);
      return outcome;
    },

    async deleteClient(id, actor) {
      const now = clock.now();
      const deleted = await persistence.transaction(async (stores) => {
        const current = await stores.oauthClients.findOAuthClientById(id);
        if (current === undefined || !(await stores.oauthClients.deleteOAuthClient(id))) return false;
        await record(stores, "client.deleted", current, actor, now);
        return true;
      });
      if (!deleted) return false;
      announce(id);
      await deps.clientGrants.revokeEverythingOfClient(id);
      return true;
    },

    onChange(listener) {
      // A function of its own per call, so the same listener added twice is stopped once each.
      const entry = (clientId: string) => listener(clientId);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}
