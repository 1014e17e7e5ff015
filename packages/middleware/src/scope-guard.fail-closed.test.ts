/**
 * Invariant: scopes fail closed (API.md "Scopes fail closed"). `requireScopes` lets a caller
 * through only when its credential carries every scope named; a token without a `scope` claim
 * carries none — it passes the role guard, never the scope guard — and so does one whose `scope`
 * is empty. The verdict is the same when the token comes from the verifier's cache.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Authenticator,
  createAuthenticator,
  createRoleGuard,
  createScopeGuard,
} from "./authenticator.js";
import type { PortcullisAuth } from "./types.js";
import {
  AUDIENCE,
  accessClaims,
  generateTestKey,
  ISSUER,
  type JwksServer,
  signWithJose,
  startJwksServer,
  type TestKey,
} from "./verifier.test-support.js";

const NOW = Date.UTC(2026, 5, 1, 12);

let server: JwksServer;
let key: TestKey;
let authenticator: Authenticator;

beforeAll(async () => {
  key = generateTestKey("ES256");
  server = await startJwksServer([key.jwk]);
  authenticator = createAuthenticator({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: server.url,
    clock: { now: () => NOW },
  });
  await authenticator.ready();
});
afterAll(() => server.close());

/** The caller behind a token signed with `claims` changed; twice, so the second comes from the cache. */
async function callersOf(
  changes: Record<string, unknown>,
  without: string[] = [],
): Promise<PortcullisAuth[]> {
  const claims = accessClaims(NOW, changes);
  for (const name of without) delete claims[name];
  const token = await signWithJose(key, claims);
  const callers: PortcullisAuth[] = [];
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const outcome = await authenticator.authenticate(`Bearer ${token}`, undefined);
    if (!outcome.ok) throw new Error(`refused: ${outcome.problem.body}`);
    callers.push(outcome.auth);
  }
  return callers;
}

describe("requireScopes › scopes fail closed", () => {
  const needsReports = createScopeGuard(["reports:read"]);
  const needsUser = createRoleGuard(["user"]);

  it("refuses a token without a scope claim with insufficient_scope, though its role passes", async () => {
    for (const caller of await callersOf({}, ["scope"])) {
      expect(caller.claims.scope).toBeUndefined();
      expect(caller.scopes).toEqual([]);
      expect(needsUser(caller)).toBeNull();
      const problem = needsReports(caller);
      expect(problem).toMatchObject({ status: 403, code: "insufficient_scope" });
      expect(problem?.headers["www-authenticate"]).toBe(
        'Bearer error="insufficient_scope", scope="reports:read"',
      );
    }
  });

  it("refuses a token whose scope is empty, as Portcullis issues for roles that grant nothing", async () => {
    for (const caller of await callersOf({ scope: "" })) {
      expect(caller.scopes).toEqual([]);
      expect(needsUser(caller)).toBeNull();
      expect(needsReports(caller)?.code).toBe("insufficient_scope");
    }
  });

  it("lets a token through only with every scope named", async () => {
    const both = createScopeGuard(["reports:read", "orders:read"]);
    for (const caller of await callersOf({ scope: "orders:read reports:read" })) {
      expect(needsReports(caller)).toBeNull();
      expect(both(caller)).toBeNull();
    }
    for (const caller of await callersOf({ scope: "reports:read" })) {
      expect(needsReports(caller)).toBeNull();
      expect(both(caller)?.code).toBe("insufficient_scope");
    }
    // Prefixes and look-alikes are not the scope.
    for (const caller of await callersOf({ scope: "reports reports:read:x REPORTS:READ" }))
      expect(needsReports(caller)?.code).toBe("insufficient_scope");
  });

  it("answers 401 unauthenticated to a route whose guard runs without a caller", () => {
    expect(needsReports(undefined)?.code).toBe("unauthenticated");
    expect(needsUser(null)?.code).toBe("unauthenticated");
  });
});
