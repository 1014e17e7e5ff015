/**
 * Accounts for tests of roles, keys and the admin API: an administrator made the way an
 * operator makes one (`createUser` with the role, as the CLI does), a plain user, and API keys.
 */
import { expect } from "vitest";
import { bearer, STRONG_PASSWORD, type TestApp, type TokenResponseBody, uniqueEmail } from "./test-app.js";

export interface SignedIn extends TokenResponseBody {
  email: string;
  headers: Record<string, string>;
}

export async function loginAs(t: TestApp, email: string, password = STRONG_PASSWORD): Promise<SignedIn> {
  const response = await t.post("/v1/auth/login", { email, password });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<TokenResponseBody>();
  return { ...body, email, headers: bearer(body.accessToken) };
}

/** A verified user with `roles`, created by an operator, then signed in. */
export async function createSignedInUser(t: TestApp, roles: string[] = ["user"]): Promise<SignedIn> {
  const email = uniqueEmail(roles.includes("admin") ? "admin" : "user");
  const created = await t.services.users.createUser(
    { email, password: STRONG_PASSWORD, roles, emailVerified: true },
    null,
  );
  if (!created.ok) throw new Error(`createUser failed: ${created.code}`);
  return loginAs(t, email);
}

export const createAdmin = (t: TestApp) => createSignedInUser(t, ["user", "admin"]);

export interface CreatedApiKey {
  apiKey: {
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
    createdAt: string;
    expiresAt: string | null;
    lastUsedAt: string | null;
  };
  key: string;
}

export async function createApiKey(
  t: TestApp,
  owner: SignedIn,
  body: Record<string, unknown> = { name: "test key" },
): Promise<CreatedApiKey> {
  const response = await t.post("/v1/api-keys", body, owner.headers);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedApiKey>();
}

export const apiKeyHeader = (key: string) => ({ "x-api-key": key });

export async function send(
  t: TestApp,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}
