/**
 * Invariant: an administrator can rescue a user who lost every second factor, and only an
 * administrator can. `POST /v1/admin/users/:id/mfa/reset` removes the TOTP, the backup codes and
 * the passkeys, ends every session of the user at once (whoever holds one may be who took the
 * factors), mails the user, and records `mfa.reset` with the administrator as the actor. The next
 * login then needs the password only. (ASVS 6.5.6, 7.4.3; OWASP MFA cheat sheet "resetting MFA".)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, createSignedInUser, send } from "../support/accounts.js";
import { latestMailTo } from "../support/mail-outbox-folder.js";
import { claimsOf, enrolTotp } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";
import { createSoftwareAuthenticator } from "../support/webauthn-authenticator.js";

describe("administrators' MFA reset", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const reset = (id: string, headers: Record<string, string>) =>
    send(t, "POST", `/v1/admin/users/${id}/mfa/reset`, headers, {});

  it("removes every factor, ends every session, mails the user and is audited", async () => {
    const admin = await createAdmin(t);
    const user = await createSignedInUser(t);
    await enrolTotp(t, user.headers);
    const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
    const options = await t.post("/v1/webauthn/registration/options", {}, user.headers);
    const registered = await t.post(
      "/v1/webauthn/registration",
      { credential: authenticator.register(options.json()) },
      user.headers,
    );
    expect(registered.statusCode, registered.body).toBe(201);

    const response = await reset(user.user.id, admin.headers);
    expect(response.statusCode, response.body).toBe(204);

    expectProblem(await t.get("/v1/me", user.headers), 401, "invalid_token");
    const login = await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD });
    const tokens = login.json<TokenResponseBody & { user: { mfaEnabled: boolean } }>();
    expect(claimsOf(tokens.accessToken).amr).toEqual(["pwd"]);
    expect(tokens.user.mfaEnabled).toBe(false);
    for (const table of ["mfa_totp", "mfa_backup_codes", "webauthn_credentials"] as const) {
      const rows = await t.database.db
        .selectFrom(table)
        .selectAll()
        .where("user_id", "=", user.user.id)
        .execute();
      expect(rows, table).toEqual([]);
    }

    const mail = await latestMailTo(t, user.email, /two-factor methods were reset/);
    expect(mail.text).toContain("every device was signed out");

    const events = await send(
      t,
      "GET",
      `/v1/admin/events?userId=${user.user.id}&type=mfa.reset`,
      admin.headers,
    );
    expect(events.json<{ events: unknown[] }>().events).toEqual([
      expect.objectContaining({
        type: "mfa.reset",
        userId: user.user.id,
        actorId: admin.user.id,
        details: { totp: true, backupCodes: 10, passkeys: 1, sessionsRevoked: 1 },
      }),
    ]);
  });

  it("is for administrators only, and 404 for an unknown user", async () => {
    const admin = await createAdmin(t);
    const user = await createSignedInUser(t);
    const other = await createSignedInUser(t);
    expectProblem(await reset(other.user.id, user.headers), 403, "insufficient_role");
    expectProblem(await reset(other.user.id, {}), 401, "unauthenticated");
    expectProblem(await reset("no-such-user", admin.headers), 404, "not_found");
  });
});
