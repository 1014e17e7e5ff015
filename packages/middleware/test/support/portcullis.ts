/**
 * A real Portcullis for the middleware's tests: the server's own test app (SQLite, or PostgreSQL
 * + Redis in that run of the suite) listening on a free port, with an administrator and an API
 * key with the `introspect` scope for the service under test.
 *
 * The server's test helpers are loaded at run time and described here by the little this suite
 * uses, instead of being imported for the type checker: the server declares its own
 * `request.auth` on Fastify, which would clash with the middleware's in one program.
 */
import type { KeyObject } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, SignJWT } from "jose";

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function createManualClock(start = Date.now()): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

interface InjectResponse {
  statusCode: number;
  body: string;
}

/** What this suite uses of `packages/server/test/support/test-app.ts`'s TestApp. */
export interface TestApp {
  app: {
    listen(options: { port: number; host: string }): Promise<string>;
    server: Server;
  };
  config: {
    publicUrl: string;
    audience: string;
    accessTokenTtlSeconds: number;
    redisUrl: string | undefined;
    redisPrefix: string;
  };
  services: {
    keyRing: { signingKey(): { kid: string; alg: string; key: KeyObject } };
    signingKeys: { rotate(): Promise<string> };
  };
  close(): Promise<void>;
}

export interface SignedIn {
  accessToken: string;
  user: { id: string; roles: string[] };
  headers: Record<string, string>;
}

interface CreatedApiKey {
  apiKey: { id: string };
  key: string;
}

interface ServerTestApp {
  createTestApp(options: { clock: ManualClock; env: Record<string, string> }): Promise<TestApp>;
}

interface ServerAccounts {
  createAdmin(t: TestApp): Promise<SignedIn>;
  createSignedInUser(t: TestApp, roles?: string[]): Promise<SignedIn>;
  createApiKey(t: TestApp, owner: SignedIn, body: Record<string, unknown>): Promise<CreatedApiKey>;
  send(
    t: TestApp,
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    headers?: Record<string, string>,
    body?: unknown,
  ): Promise<InjectResponse>;
}

const SERVER_SUPPORT = "../../../server/test/support";
const testAppModule = `${SERVER_SUPPORT}/test-app.js`;
const accountsModule = `${SERVER_SUPPORT}/accounts.js`;
const { createTestApp } = (await import(testAppModule)) as ServerTestApp;
export const { createAdmin, createSignedInUser, createApiKey, send } = (await import(
  accountsModule
)) as ServerAccounts;

export interface RunningPortcullis {
  portcullis: TestApp;
  /** Where it listens, e.g. http://127.0.0.1:40123 (its `iss` stays its public URL). */
  url: string;
  admin: SignedIn;
  introspectionKey: string;
}

/** `env` adds to (or overrides) the test app's configuration, e.g. PORTCULLIS_ROLE_SCOPES. */
export async function startPortcullis(
  clock: ManualClock,
  env: Record<string, string> = {},
): Promise<RunningPortcullis> {
  const portcullis = await createTestApp({
    clock,
    env: { PORTCULLIS_INTROSPECTION_RATE_LIMIT: "off", ...env },
  });
  await portcullis.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = portcullis.app.server.address() as AddressInfo;
  const admin = await createAdmin(portcullis);
  const introspectionKey = (
    await createApiKey(portcullis, admin, { name: "service", scopes: ["introspect"] })
  ).key;
  return { portcullis, url: `http://127.0.0.1:${port}`, admin, introspectionKey };
}

/** A token signed with Portcullis's own current key, with the claims of `like` changed (undefined removes one). */
export function mint(portcullis: TestApp, like: string, changes: Record<string, unknown>): Promise<string> {
  const { kid, alg, key } = portcullis.services.keyRing.signingKey();
  const claims: Record<string, unknown> = { ...decodeJwt(like), ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "at+jwt" }).sign(key);
}
