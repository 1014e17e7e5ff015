/**
 * Invariant: a social-login identity linked while the account's address was unverified does not
 * outlive the owner's proof of the address. Whoever controls a provider account that gives the
 * victim's address, unverified, can create the Portcullis account first (or an identity can be
 * linked with `link=1` before the address is verified); when the owner then proves the address —
 * a completed password reset, or the verification link — every such identity is unlinked in the
 * same transaction, its sessions end (a reset ends every session; a verification that unlinked
 * something ends every session too), `identity.unlinked` is recorded with `reason:
 * "address_proven"`, and the owner is mailed the list. An identity linked while the address was
 * verified survives both, and an ordinary verification signs nobody out. Identities that existed
 * before this version are flagged by migration 0008: linked while unverified unless the data
 * shows the address was verified at link time. (Sudhodanan and Paverd, "Pre-hijacked accounts",
 * 2022; ASVS 6.8.1; API.md "Social login".)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlDatabase } from "../../src/store/sql/database.js";
import { migrations } from "../../src/store/sql/migrations/index.js";
import { createBrowser } from "../support/browser.js";
import { latestMailTo, mailsTo } from "../support/mail-outbox-folder.js";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { expectProblem } from "../support/problem-assertions.js";
import { linkIn, tokenOf } from "../support/smtp-peer.js";
import { landing, runSocialLogin } from "../support/social-login-flow.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

const APP = "https://app.example.com";
const NEW_PASSWORD = "marble-Teapot-58-horizon";
const UNLINKED_NOTICE = /^Sign-in methods were removed from your Portcullis account/;
const LINK_NOTICE = /^A testidp sign-in was connected to your Portcullis account/;

interface AuditEvent {
  type: string;
  details: Record<string, unknown>;
}

describe("social login › pre-account-takeover", () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`] });
    t = await createTestApp({
      env: {
        ...idp.portcullisEnv("testidp"),
        PORTCULLIS_REDIRECT_ALLOWLIST: APP,
        PORTCULLIS_EMAIL_RATE_LIMIT: "off",
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const browser = () => createBrowser(t, [idp.issuer]);

  /** The attacker signs in through the provider as `sub`, which claims `email`, unverified. */
  async function attackerSignsIn(sub: string, email: string): Promise<TokenResponseBody> {
    idp.setNextUser({ sub, email, email_verified: false });
    const landed = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    const exchanged = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    return exchanged.json<TokenResponseBody>();
  }

  /** A second attacker session, with the session cookie; returns the cookie header. */
  async function attackerCookieSession(sub: string, email: string): Promise<{ cookie: string }> {
    idp.setNextUser({ sub, email, email_verified: false });
    const agent = browser();
    landing(await runSocialLogin(agent, { transport: "cookie", redirectTo: `${APP}/done` }));
    return { cookie: `pc_session=${agent.cookies(PUBLIC_URL).get("pc_session")}` };
  }

  /** The owner of `email` asks for a reset and follows the mailed link. */
  async function ownerResetsPassword(email: string): Promise<void> {
    expect((await t.post("/v1/password/forgot", { email })).statusCode).toBe(202);
    const mail = await latestMailTo(t, email, /^Reset your Portcullis password/);
    const token = tokenOf(linkIn(mail.text, `${PUBLIC_URL}/reset-password?token=`));
    const reset = await t.post("/v1/password/reset", { token, password: NEW_PASSWORD });
    expect(reset.statusCode, reset.body).toBe(204);
  }

  /** The owner of `email` opens the newest verification link mailed to it. */
  async function ownerVerifies(email: string): Promise<void> {
    const mail = await latestMailTo(t, email, /^Confirm your email address/);
    const token = tokenOf(linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`));
    const verified = await t.post("/v1/email/verify", { token });
    expect(verified.statusCode, verified.body).toBe(200);
  }

  const identityRows = (userId: string) =>
    t.database.db
      .selectFrom("identities")
      .select(["provider", "subject", "linked_while_unverified"])
      .where("user_id", "=", userId)
      .execute();

  async function eventsOf(accessToken: string): Promise<AuditEvent[]> {
    const response = await t.get("/v1/me/events", bearer(accessToken));
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ events: AuditEvent[] }>().events;
  }

  async function expectSessionsDead(tokens: TokenResponseBody, cookie: { cookie: string }) {
    expectProblem(await t.get("/v1/me", bearer(tokens.accessToken)), 401, "invalid_token");
    expectProblem(await t.get("/v1/me", cookie), 401, "invalid_token");
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: tokens.refreshToken }),
      401,
      "invalid_refresh_token",
    );
  }

  it("a password reset by the address's owner unlinks the attacker's identity, ends its sessions and mails the owner", async () => {
    const victim = uniqueEmail("victim");
    const sub = `attacker-${victim}`;
    const attacker = await attackerSignsIn(sub, victim);
    const cookie = await attackerCookieSession(sub, victim);
    expect(attacker.user.email).toBe(victim);
    expect(await identityRows(attacker.user.id)).toEqual([
      { provider: "testidp", subject: sub, linked_while_unverified: 1 },
    ]);

    await ownerResetsPassword(victim);

    expect(await identityRows(attacker.user.id)).toEqual([]);
    await expectSessionsDead(attacker, cookie);
    // The provider account no longer reaches the account: the address is verified now, the
    // provider's is not, so the flow ends where any unverified claim to an address ends.
    idp.setNextUser({ sub, email: victim, email_verified: false });
    const again = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    expect(again.searchParams.get("error")).toBe("account_exists");
    expect(again.searchParams.has("code")).toBe(false);

    const owner = await t.post("/v1/auth/login", { email: victim, password: NEW_PASSWORD });
    expect(owner.statusCode, owner.body).toBe(200);
    const session = owner.json<TokenResponseBody>();
    expect(session.user.id).toBe(attacker.user.id);
    expect((await t.get("/v1/me/identities", bearer(session.accessToken))).json()).toEqual({
      identities: [],
    });
    const notice = await latestMailTo(t, victim, UNLINKED_NOTICE);
    expect(notice.text).toContain(`testidp (${victim})`);
    expect(notice.text).toContain("signed every device out");
    const unlinked = (await eventsOf(session.accessToken)).filter(
      (event) => event.type === "identity.unlinked",
    );
    expect(unlinked.map((event) => event.details)).toEqual([
      expect.objectContaining({ provider: "testidp", reason: "address_proven", proof: "password_reset" }),
    ]);
  });

  it("opening the verification link does the same, and signs every session out", async () => {
    const victim = uniqueEmail("victim");
    const sub = `attacker-${victim}`;
    const attacker = await attackerSignsIn(sub, victim);
    const cookie = await attackerCookieSession(sub, victim);

    await ownerVerifies(victim);

    expect(await identityRows(attacker.user.id)).toEqual([]);
    await expectSessionsDead(attacker, cookie);
    expect((await latestMailTo(t, victim, UNLINKED_NOTICE)).text).toContain(`testidp (${victim})`);
    const events = await t.database.db
      .selectFrom("audit_events")
      .select(["type", "details"])
      .where("user_id", "=", attacker.user.id)
      .orderBy("seq")
      .execute();
    const revoked = events.filter((event) => event.type === "session.revoked");
    expect(revoked).toHaveLength(2);
    for (const event of revoked)
      expect(JSON.parse(event.details)).toMatchObject({ reason: "identities_unlinked" });
    const unlinked = events.find((event) => event.type === "identity.unlinked");
    expect(JSON.parse(unlinked?.details ?? "{}")).toMatchObject({
      reason: "address_proven",
      proof: "email_verification",
    });
  });

  it("tells the address's owner the moment an attacker's identity is linked, before any proof", async () => {
    const victim = uniqueEmail("victim");
    await attackerSignsIn(`attacker-${victim}`, victim);
    const notice = await latestMailTo(t, victim, LINK_NOTICE);
    expect(notice.text).toContain(`A testidp account (${victim}) was connected`);
    expect(notice.text).toContain("reset your password");
  });

  it("unlinks an identity linked with link=1 before the address was verified, and keeps the password", async () => {
    const email = uniqueEmail("local");
    expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
    const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
    const agent = browser();
    agent.keepCookies(PUBLIC_URL, [String(login.headers["set-cookie"])].flat());
    idp.setNextUser({ sub: `linked-${email}`, email: uniqueEmail("elsewhere"), email_verified: true });
    const linked = landing(await runSocialLogin(agent, { link: true, redirectTo: `${APP}/settings` }));
    expect(linked.searchParams.get("linked")).toBe("testidp");
    const { id: userId } = await t.database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    expect(await identityRows(userId)).toMatchObject([{ linked_while_unverified: 1 }]);

    await ownerVerifies(email);

    expect(await identityRows(userId)).toEqual([]);
    expect((await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD })).statusCode).toBe(200);
    expect((await latestMailTo(t, email, UNLINKED_NOTICE)).text).toContain("testidp");
  });

  it("keeps an identity linked while the address was verified through a reset, and mails nothing about it", async () => {
    const email = uniqueEmail("verified");
    const sub = `owner-${email}`;
    idp.setNextUser({ sub, email, email_verified: true });
    const first = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    const owner = (
      await t.post("/v1/auth/exchange", { code: first.searchParams.get("code") })
    ).json<TokenResponseBody>();
    expect(await identityRows(owner.user.id)).toEqual([
      { provider: "testidp", subject: sub, linked_while_unverified: 0 },
    ]);

    await ownerResetsPassword(email);

    expect(await identityRows(owner.user.id)).toHaveLength(1);
    idp.setNextUser({ sub, email, email_verified: true });
    const again = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    const exchanged = await t.post("/v1/auth/exchange", { code: again.searchParams.get("code") });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    expect(exchanged.json<TokenResponseBody>().user.id).toBe(owner.user.id);
    expect((await mailsTo(t, email)).some((mail) => UNLINKED_NOTICE.test(mail.subject))).toBe(false);
  });

  it("an ordinary verification, with nothing to unlink, signs nobody out", async () => {
    const email = uniqueEmail("plain");
    const session = await t.signUp(email);
    await ownerVerifies(email);
    expect((await t.get("/v1/me", bearer(session.accessToken))).statusCode).toBe(200);
    expect((await mailsTo(t, email)).some((mail) => UNLINKED_NOTICE.test(mail.subject))).toBe(false);
  });
});

describe("social login › pre-account-takeover › identities from before the upgrade (migration 0008)", () => {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-0008-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("flags every identity as linked while unverified unless the account was verified and no verification came after the link", async () => {
    const url =
      TEST_STORE === "postgres" ? (await createPostgresSchema()).url : `sqlite:${join(dir, "upgrade.db")}`;
    const database = await openSqlDatabase(url);
    const db = database.db as unknown as Kysely<unknown>;
    try {
      const user = (id: string, verified: 0 | 1) =>
        sql`insert into users (id, email, email_verified, name, password_hash, roles, disabled_at, created_at, updated_at)
            values (${id}, ${`${id}@example.com`}, ${verified}, null, null, '["user"]', null, 0, 0)`.execute(
          db,
        );
      const identity = (userId: string, createdAt: number) =>
        sql`insert into identities (id, user_id, provider, subject, email, created_at, linked_while_unverified)
            values (${`i-${userId}`}, ${userId}, 'testidp', ${`s-${userId}`}, null, ${createdAt}, 0)`.execute(
          db,
        );
      const verifiedAt = (userId: string, at: number) =>
        sql`insert into audit_events (id, type, user_id, actor_id, ip, user_agent, details, at, prev_hash, hash)
            values (${`e-${userId}`}, 'email.verified', ${userId}, ${userId}, null, null, '{}', ${at}, '', '')`.execute(
          db,
        );
      await user("still-unverified", 0);
      await identity("still-unverified", 1_000);
      await user("verified-after-link", 1);
      await identity("verified-after-link", 1_000);
      await verifiedAt("verified-after-link", 2_000);
      await user("linked-after-verification", 1);
      await verifiedAt("linked-after-verification", 500);
      await identity("linked-after-verification", 1_000);
      await user("verified-from-the-start", 1);
      await identity("verified-from-the-start", 1_000);

      const migration = migrations["0008-identity-address-proof"];
      if (migration?.down === undefined) throw new Error("migration 0008 must be reversible");
      await migration.down(db);
      await migration.up(db);

      const rows = await sql<{ user_id: string; linked_while_unverified: number }>`
        select user_id, linked_while_unverified from identities order by user_id`.execute(db);
      expect(
        Object.fromEntries(rows.rows.map((row) => [row.user_id, Number(row.linked_while_unverified)])),
      ).toEqual({
        "still-unverified": 1,
        "verified-after-link": 1,
        "linked-after-verification": 0,
        "verified-from-the-start": 0,
      });
      // A row written without the column (an instance of the previous version) counts as unproven.
      await user("old-instance", 1);
      await sql`insert into identities (id, user_id, provider, subject, email, created_at)
                values ('i-old', 'old-instance', 'testidp', 's-old', null, 3000)`.execute(db);
      const old = await sql<{ linked_while_unverified: number }>`
        select linked_while_unverified from identities where id = 'i-old'`.execute(db);
      expect(Number(old.rows[0]?.linked_while_unverified)).toBe(1);
    } finally {
      await database.close();
    }
  });
});
