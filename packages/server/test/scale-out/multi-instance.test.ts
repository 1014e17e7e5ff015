/**
 * Three server processes share one PostgreSQL and one Redis, as a deployment behind a load
 * balancer would: what one instance revokes, limits or rotates holds on the others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../support/cluster.js";
import { STRONG_PASSWORD, uniqueEmail } from "../support/test-app.js";

/** The contract says one second; on loopback it must be far below. */
const PROPAGATION_BOUND_MS = 500;

let cluster: Cluster;
let a: string;
let b: string;
let c: string;

beforeAll(async () => {
  cluster = await startCluster(3, { PORTCULLIS_LOGIN_RATE_LIMIT: "5/15m" });
  [a, b, c] = cluster.instances.map((instance) => instance.url) as [string, string, string];
}, 120_000);
afterAll(() => cluster?.stop());

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

async function signUp(base: string, email = uniqueEmail("cluster")): Promise<Tokens & { email: string }> {
  expect((await post(base, "/v1/auth/register", { email, password: STRONG_PASSWORD })).status).toBe(201);
  const login = await post(base, "/v1/auth/login", { email, password: STRONG_PASSWORD });
  expect(login.status).toBe(200);
  return { ...((await login.json()) as Tokens), email };
}

const me = (base: string, accessToken: string) =>
  fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });

/** Milliseconds from `since` until `base` refuses the token; fails past `limitMs`. */
async function refusedAfter(
  base: string,
  accessToken: string,
  since: number,
  limitMs: number,
): Promise<number> {
  for (;;) {
    const status = (await me(base, accessToken)).status;
    const elapsed = performance.now() - since;
    if (status === 401) return elapsed;
    expect(status).toBe(200);
    if (elapsed > limitMs) throw new Error(`${base} still accepts the token after ${Math.round(elapsed)} ms`);
  }
}

describe("three instances on one PostgreSQL and one Redis", () => {
  it("a logout on A is refused on B and C within the bound (measured over ten sessions)", async () => {
    const delays: number[] = [];
    for (let round = 0; round < 10; round++) {
      const session = await signUp(a);
      expect((await me(b, session.accessToken)).status).toBe(200);
      expect((await me(c, session.accessToken)).status).toBe(200);
      const loggedOutAt = performance.now();
      const logout = await post(a, "/v1/auth/logout", {}, { authorization: `Bearer ${session.accessToken}` });
      expect(logout.status).toBe(204);
      const [onB, onC] = await Promise.all([
        refusedAfter(b, session.accessToken, loggedOutAt, PROPAGATION_BOUND_MS),
        refusedAfter(c, session.accessToken, loggedOutAt, PROPAGATION_BOUND_MS),
      ]);
      delays.push(onB, onC);
    }
    delays.sort((x, y) => x - y);
    console.log(
      `revocation propagation over Redis, 3 instances: p50 ${delays[Math.floor(delays.length / 2)]?.toFixed(1)} ms, max ${delays.at(-1)?.toFixed(1)} ms`,
    );
    expect(delays.at(-1)).toBeLessThan(PROPAGATION_BOUND_MS);
  });

  it("a refresh token rotated on A and replayed on B is caught as reuse, and the session dies everywhere", async () => {
    const session = await signUp(a);
    const rotated = await post(a, "/v1/auth/refresh", { refreshToken: session.refreshToken });
    expect(rotated.status).toBe(200);
    const successor = (await rotated.json()) as Tokens;

    const replay = await post(b, "/v1/auth/refresh", { refreshToken: session.refreshToken });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe("refresh_token_reused");
    expect((await post(c, "/v1/auth/refresh", { refreshToken: successor.refreshToken })).status).toBe(401);
    await refusedAfter(a, successor.accessToken, performance.now(), PROPAGATION_BOUND_MS);
  });

  it("failed logins spread over the three instances count against one limit", async () => {
    const { email } = await signUp(a);
    for (const base of [a, b, c, a, b]) {
      expect((await post(base, "/v1/auth/login", { email, password: "wrong-password-123" })).status).toBe(
        401,
      );
    }
    // Five failures in all, none more than two on one instance: the right password now waits everywhere.
    for (const base of [a, b, c]) {
      const refused = await post(base, "/v1/auth/login", { email, password: STRONG_PASSWORD });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("a signing key rotated through the shared database is served by every instance's JWKS", async () => {
    const kids = async (base: string) =>
      ((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
        (key) => key.kid,
      );
    const before = await kids(b);
    const rotation = await cluster.cli(["keys", "rotate"]);
    expect(rotation.code, rotation.stderr).toBe(0);
    // Instances re-read the keys every five seconds.
    const deadline = performance.now() + 10_000;
    let after = await kids(b);
    while (after.length === before.length && performance.now() < deadline) after = await kids(b);
    expect(after.length).toBe(before.length + 1);
    expect(await kids(c)).toEqual(after);
  });
});
