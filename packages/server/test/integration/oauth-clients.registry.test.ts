/**
 * The client registry as the OpenID provider uses it: deleting a client revokes its grants and
 * tokens through the `clientGrants` port, after the row is gone (so nothing new can be granted);
 * every committed change is announced to the change listeners (so a provider's cache drops the
 * client), a failing listener does not undo or fail the change, and a stopped one hears nothing;
 * the database itself refuses a confidential client without a secret hash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registrableScopes } from "../../src/domain/oauth-clients/client-registration.js";
import { type ClientService, createClientService } from "../../src/domain/oauth-clients/client-service.js";
import { createSqlPersistence } from "../../src/store/sql/sql-persistence.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const SERVICE = {
  name: "Nightly export",
  type: "confidential" as const,
  grantTypes: ["client_credentials"],
  scopes: [],
};

describe("OAuth client registry › the provider's side", () => {
  let t: TestApp;
  let clients: ClientService;
  const revoked: { clientId: string; rowPresent: boolean }[] = [];
  const listenerErrors: unknown[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    const persistence = createSqlPersistence(t.database);
    clients = createClientService({
      persistence,
      clock: { now: () => Date.now() },
      rules: { allowedScopes: registrableScopes([]), allowLoopbackHttp: true },
      clientGrants: {
        async revokeEverythingOfClient(clientId) {
          revoked.push({
            clientId,
            rowPresent: (await persistence.oauthClients.findOAuthClientById(clientId)) !== undefined,
          });
        },
      },
      onListenerError: (error) => listenerErrors.push(error),
    });
  });
  afterAll(() => t.close());

  async function create() {
    const outcome = await clients.createClient(SERVICE, null);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    return outcome.client;
  }

  it("gives ids that never begin with - or _ (a command line would read them as options)", async () => {
    // Random bytes whose base64url begins with "-" (0xf8…) then "_" (0xfc…), then a usable draw.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xfc), Buffer.alloc(16, 0x41)];
    const service = createClientService({
      persistence: createSqlPersistence(t.database),
      clock: { now: () => Date.now() },
      rules: { allowedScopes: registrableScopes([]), allowLoopbackHttp: true },
      clientGrants: { async revokeEverythingOfClient() {} },
      random: (size) => (size === 16 ? (draws.shift() ?? Buffer.alloc(16, 0x42)) : Buffer.alloc(size, 7)),
    });
    const outcome = await service.createClient(SERVICE, null);
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    expect(outcome.client.id).toBe(Buffer.alloc(16, 0x41).toString("base64url"));
    expect(draws).toEqual([]);
  });

  it("revokes a deleted client's grants once, after its row is gone, and not for an unknown id", async () => {
    const client = await create();
    const other = await create();
    expect(await clients.deleteClient(client.id, null)).toBe(true);
    expect(revoked).toEqual([{ clientId: client.id, rowPresent: false }]);
    expect(await clients.findClientById(client.id)).toBeNull();
    expect(await clients.findClientById(other.id)).toMatchObject({ id: other.id });

    expect(await clients.deleteClient(client.id, null)).toBe(false);
    expect(revoked).toHaveLength(1);
  });

  it("announces each committed change to the listeners, and stops announcing once told", async () => {
    const heard: string[] = [];
    const stop = clients.onChange((clientId) => heard.push(clientId));
    const client = await create();
    await clients.updateClient(client.id, { name: "Renamed" }, null);
    await clients.updateClient(client.id, { name: "Renamed" }, null); // no change: nothing to drop
    await clients.updateClient(client.id, { grantTypes: ["refresh_token"] }, null); // refused
    await clients.rotateClientSecret(client.id, null);
    await clients.deleteClient(client.id, null);
    expect(heard).toEqual([client.id, client.id, client.id, client.id]);

    stop();
    await create();
    expect(heard).toHaveLength(4);
  });

  it("keeps a change when a listener throws, and reports the error", async () => {
    const stop = clients.onChange(() => {
      throw new Error("cache gone");
    });
    try {
      const client = await create();
      expect(await clients.findClientById(client.id)).toMatchObject({ name: SERVICE.name });
      expect(listenerErrors).toEqual([new Error("cache gone")]);
    } finally {
      stop();
    }
  });

  it("refuses, in the database, a confidential client without a secret hash and a public one with", async () => {
    const persistence = createSqlPersistence(t.database);
    const row = {
      id: "constraint-check",
      name: "x",
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ["client_credentials" as const],
      scopes: [],
      firstParty: false,
      backchannelLogoutUri: null,
      createdAt: 1,
      updatedAt: 1,
    };
    await expect(
      persistence.oauthClients.insertOAuthClient({ ...row, type: "confidential", secretHash: null }),
    ).rejects.toThrow();
    await expect(
      persistence.oauthClients.insertOAuthClient({ ...row, type: "public", secretHash: "0".repeat(64) }),
    ).rejects.toThrow();
    expect(await persistence.oauthClients.findOAuthClientById("constraint-check")).toBeUndefined();
  });
});
