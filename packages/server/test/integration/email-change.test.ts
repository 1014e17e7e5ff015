/**
 * Invariant: an account moves to a new email address only when someone who recently proved who
 * they are asks for it (step-up, `401 reauthentication_required` otherwise) AND the single-use
 * link mailed to the new address is opened within the hour. The request answers `202` alike for
 * a free and a taken address (the owner of a taken one is mailed instead; no link exists), and
 * the current address is told of it — only when that address is verified, since an unverified
 * one may belong to someone else, who must not learn where the account goes. Confirming
 * (`POST /v1/email/change/confirm`) switches the address, verified, in one transaction — `409
 * email_taken` if another account took it meanwhile, `400 invalid_token` for an unknown, used,
 * superseded or expired link — after which the new address signs in and the old one does not,
 * links still out for the old address stop working, and the old address, again only when
 * verified, is told the account moved. A password reset cancels a pending change (ASVS 7.5.1,
 * 6.3.7, 6.3.8; security.md §2.7).
 */
import { createHash, randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie, withCsrf } from "../support/cookies.js";
import { latestMailTo, mailsTo } from "../support/mail-outbox-folder.js";
import { expectProblem } from "../support/problem-assertions.js";
import { linkIn, tokenOf } from "../support/smtp-peer.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CONFIRMATION = /^Confirm your new email address/;
const NOTICE = /^The email address of your Portcullis account is being changed/;
const ATTEMPT = /^Someone tried to move a Portcullis account to your address/;
const CHANGED = /^The email address of your Portcullis account was changed/;
const NEW_PASSWORD = "marble-Teapot-58-horizon";

interface AuditEvent {
  type: string;
  details: Record<string, unknown>;
}

/** Runs `work` while any move of an account to `address` first inserts another account with it. */
async function withAddressTakenOnWrite(t: TestApp, address: string, work: () => Promise<void>) {
  const insert = `insert into users (id, email, email_verified, name, password_hash, roles, disabled_at, created_at, updated_at)
    values ('${randomUUID()}', new.email, 0, null, null, '["user"]', null, 0, 0)`;
  const postgres = t.database.dialect === "postgres";
  const setup = postgres
    ? [
        `create function take_address() returns trigger language plpgsql as $$ begin ${insert}; return new; end $$`,
        `create trigger take_address before update of email on users for each row when (new.email = '${address}') execute function take_address()`,
      ]
    : [
        `create trigger take_address before update of email on users when new.email = '${address}' begin ${insert}; end`,
      ];
  const cleanup = postgres
    ? ["drop trigger take_address on users", "drop function take_address()"]
    : ["drop trigger take_address"];
  for (const statement of setup) await sql.raw(statement).execute(t.database.db);
  try {
    await work();
  } finally {
    for (const statement of cleanup) await sql.raw(statement).execute(t.database.db);
  }
}

describe("email change", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      clock,
      env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off", PORTCULLIS_REAUTH_WINDOW: "10m" },
    });
  });
  afterAll(() => t.close());

  async function signUp(prefix = "old"): Promise<{ email: string; session: TokenResponseBody }> {
    const email = uniqueEmail(prefix);
    return { email, session: await t.signUp(email) };
  }

  /** Signs up and opens the verification link mailed at registration. */
  async function signUpVerified(prefix = "old"): Promise<{ email: string; session: TokenResponseBody }> {
    const signedUp = await signUp(prefix);
    const mail = await latestMailTo(t, signedUp.email, /^Confirm your email address/);
    const token = tokenOf(linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`));
    expect((await t.post("/v1/email/verify", { token })).statusCode).toBe(200);
    return signedUp;
  }

  const requestChange = (session: TokenResponseBody, newEmail: string) =>
    t.post("/v1/me/email", { newEmail }, bearer(session.accessToken));
  const confirm = (token: string) => t.post("/v1/email/change/confirm", { token });
  const login = (email: string, password = STRONG_PASSWORD) => t.post("/v1/auth/login", { email, password });

  async function changeToken(newEmail: string): Promise<string> {
    const mail = await latestMailTo(t, newEmail, CONFIRMATION);
    return tokenOf(linkIn(mail.text, `${PUBLIC_URL}/confirm-email-change?token=`));
  }

  async function eventsOf(session: TokenResponseBody): Promise<AuditEvent[]> {
    const response = await t.get("/v1/me/events", bearer(session.accessToken));
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ events: AuditEvent[] }>().events;
  }

  it("answers 202 with no body, mails a link under PORTCULLIS_PUBLIC_URL to the new address and a notice to the old one", async () => {
    const { email, session } = await signUpVerified();
    const newEmail = uniqueEmail("new");

    const requested = await requestChange(session, newEmail);

    expect(requested.statusCode, requested.body).toBe(202);
    expect(requested.body).toBe("");
    const confirmation = await latestMailTo(t, newEmail, CONFIRMATION);
    expect(confirmation.text).toContain(`${PUBLIC_URL}/confirm-email-change?token=`);
    expect(confirmation.text).toContain("expires in 1 hour");
    expect(confirmation.text).not.toContain(email);
    const notice = await latestMailTo(t, email, NOTICE);
    expect(notice.text).toContain(`to ${newEmail}`);
    expect(notice.text).not.toContain("token=");
    // Nothing changes before the link is opened.
    const me = await t.get("/v1/me", bearer(session.accessToken));
    expect(me.json()).toMatchObject({ user: { email } });
  });

  it("tells a verified old address twice: of the request, and once confirmed, that the account moved", async () => {
    const { email, session } = await signUpVerified();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    expect((await latestMailTo(t, email, NOTICE)).text).toContain(`to ${newEmail}`);
    expect((await mailsTo(t, email)).some((mail) => CHANGED.test(mail.subject))).toBe(false);

    expect((await confirm(await changeToken(newEmail))).statusCode).toBe(200);

    const changed = await latestMailTo(t, email, CHANGED);
    expect(changed.text).toContain(`was changed to ${newEmail}`);
    expect(changed.text).not.toContain("token=");
    // The new address gets no such notice: it asked for the change and opened the link.
    expect((await mailsTo(t, newEmail)).some((mail) => CHANGED.test(mail.subject))).toBe(false);
  });

  it("tells an unverified old address nothing, neither of the request nor of the confirmed change", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("new");
    const requested = await requestChange(session, newEmail);
    expect(requested.statusCode, requested.body).toBe(202);
    expect((await confirm(await changeToken(newEmail))).statusCode).toBe(200);

    const subjects = (await mailsTo(t, email)).map((mail) => mail.subject);
    expect(subjects.filter((subject) => NOTICE.test(subject) || CHANGED.test(subject))).toEqual([]);
    // The change itself is unaffected and recorded as ever.
    expect((await eventsOf(session)).find((event) => event.type === "email.changed")?.details).toMatchObject({
      from: email,
      to: newEmail,
    });
  });

  it("stores the 256-bit token only as its SHA-256, with the new address and one hour to live", async () => {
    const { session } = await signUp();
    const newEmail = uniqueEmail("new");
    expect((await requestChange(session, newEmail)).statusCode).toBe(202);
    const token = await changeToken(newEmail);

    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const rows = await t.database.db
      .selectFrom("recovery_tokens")
      .selectAll()
      .where("user_id", "=", session.user.id)
      .execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const row = rows.find((candidate) => candidate.purpose === "email_change");
    expect(row).toMatchObject({
      token_hash: createHash("sha256").update(token).digest("hex"),
      email: newEmail,
      used_at: null,
    });
    expect(Number(row?.expires_at) - Number(row?.created_at)).toBe(HOUR);
  });

  it("confirming answers 200 {user} with the new address verified; the new address signs in and the old one does not", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);

    const confirmed = await confirm(await changeToken(newEmail));

    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({
      user: { id: session.user.id, email: newEmail, emailVerified: true },
    });
    expectProblem(await login(email), 401, "invalid_credentials");
    const relogin = await login(newEmail);
    expect(relogin.statusCode, relogin.body).toBe(200);
    expect(relogin.json<TokenResponseBody>().user.id).toBe(session.user.id);
    // The session that asked goes on, and sees the new address.
    const me = await t.get("/v1/me", bearer(session.accessToken));
    expect(me.json()).toMatchObject({ user: { email: newEmail, emailVerified: true } });
  });

  it("records email.change_requested and email.changed (from, to) for the user", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    await confirm(await changeToken(newEmail));

    const events = await eventsOf(session);
    expect(events.find((event) => event.type === "email.change_requested")?.details).toEqual({
      to: newEmail,
    });
    expect(events.find((event) => event.type === "email.changed")?.details).toMatchObject({
      from: email,
      to: newEmail,
    });
  });

  it("normalises the new address exactly as registration does, and refuses what registration refuses", async () => {
    const { session } = await signUp();
    const newEmail = uniqueEmail("new");

    const requested = await requestChange(session, `  ${newEmail.toUpperCase()} `);

    expect(requested.statusCode, requested.body).toBe(202);
    expect(await changeToken(newEmail)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const bad of ["not-an-address", "eve@example.com,ada@example.com", "eve\uFF20example.com@x.io"]) {
      const refused = expectProblem(await requestChange(session, bad), 400, "validation_failed");
      expect(refused.errors?.[0]?.pointer).toBe("/newEmail");
    }
    expectProblem(
      await t.post("/v1/me/email", { newEmail, roles: ["admin"] }, bearer(session.accessToken)),
      400,
      "validation_failed",
    );
  });

  it("refuses the account's own address with 400 validation_failed", async () => {
    const { email, session } = await signUp();
    const refused = expectProblem(
      await requestChange(session, email.toUpperCase()),
      400,
      "validation_failed",
    );
    expect(refused.errors?.[0]?.detail).toMatch(/already/);
  });

  it("accepts a link once: the second time is 400 invalid_token", async () => {
    const { session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);
    expect((await confirm(token)).statusCode).toBe(200);

    const again = expectProblem(await confirm(token), 400, "invalid_token");
    expect(again.detail).toMatch(/used|expired/);
  });

  it("lets exactly one of two concurrent confirmations through", async () => {
    const { session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);

    const results = await Promise.all([confirm(token), confirm(token)]);

    expect(results.map((response) => response.statusCode).sort()).toEqual([200, 400]);
  });

  it("refuses a link after its hour (controllable clock), and an unknown one, and changes nothing", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);
    clock.advance(HOUR);

    expectProblem(await confirm(token), 400, "invalid_token");
    expectProblem(await confirm("A".repeat(43)), 400, "invalid_token");
    expect((await login(email)).statusCode).toBe(200);
    expectProblem(await login(newEmail), 401, "invalid_credentials");
  });

  it("keeps only the newest link working", async () => {
    const { session } = await signUp();
    const first = uniqueEmail("first");
    const second = uniqueEmail("second");
    await requestChange(session, first);
    const firstToken = await changeToken(first);
    await requestChange(session, second);

    expectProblem(await confirm(firstToken), 400, "invalid_token");
    const confirmed = await confirm(await changeToken(second));
    expect(confirmed.json()).toMatchObject({ user: { email: second } });
  });

  it("keeps purposes apart: a change link verifies nothing, and a verification link changes nothing", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    const changeLink = await changeToken(newEmail);
    const verification = await latestMailTo(t, email, /^Confirm your email address/);
    const verifyLink = tokenOf(linkIn(verification.text, `${PUBLIC_URL}/verify-email?token=`));

    expectProblem(await t.post("/v1/email/verify", { token: changeLink }), 400, "invalid_token");
    expectProblem(await confirm(verifyLink), 400, "invalid_token");
    expect((await confirm(changeLink)).statusCode).toBe(200);
  });

  it("answers a taken address exactly like a free one, mails its owner instead, and issues no link", async () => {
    const owner = await signUp("owner");
    const { email, session } = await signUpVerified();
    const free = await requestChange((await signUpVerified()).session, uniqueEmail("free"));

    const taken = await requestChange(session, owner.email);

    expect(taken.statusCode).toBe(free.statusCode);
    expect(taken.body).toBe(free.body);
    expect(Object.keys(taken.headers).sort()).toEqual(Object.keys(free.headers).sort());
    const attempt = await latestMailTo(t, owner.email, ATTEMPT);
    expect(attempt.text).toContain("Nothing was changed");
    expect((await mailsTo(t, owner.email)).some((mail) => CONFIRMATION.test(mail.subject))).toBe(false);
    // The requester's own mailbox and events look as they would for a free address.
    expect((await latestMailTo(t, email, NOTICE)).text).toContain(`to ${owner.email}`);
    expect(
      (await eventsOf(session)).find((event) => event.type === "email.change_requested")?.details,
    ).toEqual({ to: owner.email });
    const tokens = await t.database.db
      .selectFrom("recovery_tokens")
      .select("purpose")
      .where("user_id", "=", session.user.id)
      .where("purpose", "=", "email_change")
      .execute();
    expect(tokens).toEqual([]);
    expect((await eventsOf(owner.session)).map((event) => event.type)).toContain("email.change_duplicated");
  });

  it("answers 409 email_taken when another account took the address before the link was opened, changing nothing", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("contested");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);
    const registered = await t.post("/v1/auth/register", { email: newEmail, password: NEW_PASSWORD });
    expect(registered.statusCode, registered.body).toBe(201);

    expectProblem(await confirm(token), 409, "email_taken");

    expect((await login(email)).statusCode).toBe(200);
    const other = await login(newEmail, NEW_PASSWORD);
    expect(other.json<TokenResponseBody>().user.id).not.toBe(session.user.id);
  });

  it("answers 409 when a registration takes the address between the check and the write, and rolls everything back", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("raced");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);

    // A trigger inserts an account with the new address just before the account's row is moved:
    // what a registration committing between the service's check and its write looks like.
    await withAddressTakenOnWrite(t, newEmail, async () => {
      expectProblem(await confirm(token), 409, "email_taken");
    });

    expect((await login(email)).statusCode).toBe(200);
    // Nothing was kept: no stray account, and the link was not spent.
    expectProblem(await login(newEmail), 401, "invalid_credentials");
    expect((await confirm(token)).json()).toMatchObject({ user: { email: newEmail } });
  });

  it("is cancelled by a password reset, the way out the notice offers", async () => {
    const { email, session } = await signUp();
    const newEmail = uniqueEmail("hijack");
    await requestChange(session, newEmail);
    const token = await changeToken(newEmail);

    expect((await t.post("/v1/password/forgot", { email })).statusCode).toBe(202);
    const reset = await latestMailTo(t, email, /^Reset your Portcullis password/);
    const resetToken = tokenOf(linkIn(reset.text, `${PUBLIC_URL}/reset-password?token=`));
    expect(
      (await t.post("/v1/password/reset", { token: resetToken, password: NEW_PASSWORD })).statusCode,
    ).toBe(204);

    expectProblem(await confirm(token), 400, "invalid_token");
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it("spends the reset links mailed to the old address once the account has moved", async () => {
    const { email, session } = await signUp();
    expect((await t.post("/v1/password/forgot", { email })).statusCode).toBe(202);
    const reset = await latestMailTo(t, email, /^Reset your Portcullis password/);
    const resetToken = tokenOf(linkIn(reset.text, `${PUBLIC_URL}/reset-password?token=`));
    const newEmail = uniqueEmail("new");
    await requestChange(session, newEmail);
    expect((await confirm(await changeToken(newEmail))).statusCode).toBe(200);

    expectProblem(
      await t.post("/v1/password/reset", { token: resetToken, password: NEW_PASSWORD }),
      400,
      "invalid_token",
    );
    expect((await login(newEmail)).statusCode).toBe(200);
  });

  it("needs a signed-in session: 401 without credentials", async () => {
    expectProblem(await t.post("/v1/me/email", { newEmail: uniqueEmail() }), 401, "unauthenticated");
  });

  describe("step-up", () => {
    it("refuses after the window with 401 reauthentication_required and mails nothing; works after POST /v1/auth/reauthenticate", async () => {
      const { email, session } = await signUpVerified();
      const newEmail = uniqueEmail("new");
      clock.advance(11 * MINUTE);

      expectProblem(await requestChange(session, newEmail), 401, "reauthentication_required");
      expect(await mailsTo(t, newEmail)).toEqual([]);
      expect((await mailsTo(t, email)).some((mail) => NOTICE.test(mail.subject))).toBe(false);

      const renewed = await t.post(
        "/v1/auth/reauthenticate",
        { password: STRONG_PASSWORD },
        bearer(session.accessToken),
      );
      expect(renewed.statusCode, renewed.body).toBe(200);
      const fresh = renewed.json<TokenResponseBody>();
      expect((await requestChange(fresh, newEmail)).statusCode).toBe(202);
      expect((await confirm(await changeToken(newEmail))).statusCode).toBe(200);
    });
  });

  describe("cookie sessions", () => {
    it("need the CSRF token, and then work", async () => {
      const email = uniqueEmail("cookie");
      await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
      const loggedIn = await t.post("/v1/auth/login", {
        email,
        password: STRONG_PASSWORD,
        transport: "cookie",
      });
      const cookie = { cookie: `pc_session=${setCookie(loggedIn, "pc_session").value}` };
      const newEmail = uniqueEmail("new");

      expectProblem(await t.post("/v1/me/email", { newEmail }, cookie), 403, "csrf_failed");
      expect(await mailsTo(t, newEmail)).toEqual([]);

      const headers = await withCsrf(t, cookie);
      expect((await t.post("/v1/me/email", { newEmail }, headers)).statusCode).toBe(202);
      expect((await confirm(await changeToken(newEmail))).statusCode).toBe(200);
      expect((await t.get("/v1/me", cookie)).json()).toMatchObject({ user: { email: newEmail } });
    });
  });
});
