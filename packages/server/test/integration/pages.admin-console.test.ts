/**
 * The console, as a browser without JavaScript gets it. The overview says in words what
 * `/readyz` reports: on SQLite that Redis is not configured and revocations stay in the process;
 * on PostgreSQL + Redis that both work, and — with a Redis of the test's own that is stopped,
 * on either store — that Redis is unreachable and the server carries on, degraded, until it is back. The users
 * list is paged with the admin API's cursor: "Next page" until the last, "First page" back, and a
 * tampered page link answered in words with the first page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie } from "../support/cookies.js";
import { type OwnRedisServer, startOwnRedisServer } from "../support/redis-server.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";
import { TEST_STORE, uniqueRedisPrefix } from "../support/test-stores.js";

const WORKING = "Working";
const DEGRADED = "Unreachable: the server carries on, degraded";

/** A new administrator's cookie session. */
async function adminCookie(t: TestApp): Promise<{ cookie: string }> {
  const email = uniqueEmail("overview-admin");
  const created = await t.services.users.createUser(
    { email, password: STRONG_PASSWORD, roles: ["user", "admin"], emailVerified: true },
    null,
  );
  if (!created.ok) throw new Error(created.code);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
  expect(login.statusCode).toBe(200);
  return { cookie: `pc_session=${setCookie(login, "pc_session").value}` };
}

/** The overview's "Service health" rows: name → status, as a person reads them. */
async function healthRows(t: TestApp, cookie: { cookie: string }): Promise<Record<string, string>> {
  const page = await t.get("/admin", cookie);
  expect(page.statusCode).toBe(200);
  const section = /id="health-heading"[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? "";
  const rows: Record<string, string> = {};
  for (const match of section.matchAll(/<dt>([^<]*)<\/dt>\s*<dd>\s*<span[^>]*>([^<]*)<\/span>/g)) {
    rows[match[1] ?? ""] = match[2] ?? "";
  }
  return rows;
}

async function readyChecks(t: TestApp): Promise<Record<string, string>> {
  const body = (await t.get("/readyz")).json<{ checks: Record<string, { status: string }> }>();
  return Object.fromEntries(Object.entries(body.checks).map(([name, check]) => [name, check.status]));
}

describe("admin console overview: the service's health", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it("names the database, Redis and the revocation bus as /readyz finds them", async () => {
    const rows = await healthRows(t, await adminCookie(t));
    const checks = await readyChecks(t);
    expect(checks.database).toBe("ok");
    expect(rows.Database).toBe(WORKING);
    if (TEST_STORE === "postgres") {
      expect(checks).toMatchObject({ redis: "ok", revocation_bus: "ok" });
      expect(rows).toMatchObject({ Redis: WORKING, "Revocation bus": WORKING });
    } else {
      expect(checks.redis).toBeUndefined();
      expect(rows).toMatchObject({
        Redis: "Not configured: counters and one-time codes live in this process",
        "Revocation bus": "In this process: fine for a single instance",
      });
    }
  });
});

describe("admin console overview: Redis stopped and restarted", () => {
  let redis: OwnRedisServer;
  let t: TestApp;
  beforeAll(async () => {
    // A Redis of the test's own beside this project's SQL store (SQLite or PostgreSQL).
    redis = await startOwnRedisServer();
    t = await createTestApp({ env: { REDIS_URL: redis.url, PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix() } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it("says Redis is unreachable while it is down, and working once it is back", async () => {
    const cookie = await adminCookie(t);
    expect((await healthRows(t, cookie)).Redis).toBe(WORKING);

    await redis.stop();
    await expect
      .poll(async () => (await readyChecks(t)).redis, { timeout: 5_000, interval: 50 })
      .toBe("degraded");
    // Sessions are checked in SQL while Redis is away: the console stays open.
    expect((await healthRows(t, cookie)).Redis).toBe(DEGRADED);

    await redis.start();
    await expect.poll(async () => (await readyChecks(t)).redis, { timeout: 10_000, interval: 50 }).toBe("ok");
    expect((await healthRows(t, cookie)).Redis).toBe(WORKING);
  });
});

describe("admin console users: paging", () => {
  const PAGE_SIZE = 50;
  const MATCHING = PAGE_SIZE + 5;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  /** The addresses listed on a users page, and its pager's links (`&amp;` undone). */
  async function usersPage(url: string, cookie: { cookie: string }) {
    const page = await t.get(url, cookie);
    const emails = [...page.body.matchAll(/>(pager-[^<]+@example\.com)</g)].map((match) => match[1] ?? "");
    const link = (pattern: RegExp) => pattern.exec(page.body)?.[1]?.replaceAll("&amp;", "&");
    return {
      status: page.statusCode,
      body: page.body,
      emails,
      next: link(/<a href="([^"]+)" rel="next">Next page<\/a>/),
      first: link(/<a href="([^"]+)">First page<\/a>/),
    };
  }

  it("pages through the matching users with Next page and back with First page", async () => {
    for (let i = 0; i < MATCHING; i++) {
      const created = await t.services.users.createUser(
        { email: uniqueEmail("pager"), password: STRONG_PASSWORD, emailVerified: true },
        null,
      );
      expect(created.ok).toBe(true);
    }
    const cookie = await adminCookie(t);

    const first = await usersPage("/admin/users?q=pager", cookie);
    expect(first.status).toBe(200);
    expect(first.emails).toHaveLength(PAGE_SIZE);
    expect(first.first).toBeUndefined();
    expect(first.next).toMatch(/^\/admin\/users\?q=pager&cursor=/);

    const second = await usersPage(first.next ?? "", cookie);
    expect(second.emails).toHaveLength(MATCHING - PAGE_SIZE);
    expect(second.next).toBeUndefined();
    expect(second.first).toBe("/admin/users?q=pager");
    expect(new Set([...first.emails, ...second.emails]).size).toBe(MATCHING);

    const tampered = await usersPage("/admin/users?q=pager&cursor=not-a-cursor", cookie);
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain("That page link is not valid any more. Here is the first page.");
    expect(tampered.emails).toEqual(first.emails);
  });
});
