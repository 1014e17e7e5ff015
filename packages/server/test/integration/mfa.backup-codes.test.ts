/**
 * Invariant: backup codes are ten single-use second factors (ASVS 6.5.1), shown once when TOTP
 * is enabled, stored only as hashes (ASVS 6.5.2), each accepted once — also when two requests
 * present it at once — and regenerable: a new set (which needs a recent sign-in and a fresh code)
 * makes every earlier code stop working. A backup code signs in with `amr` `["pwd","otp","mfa"]`.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser } from "../support/accounts.js";
import { claimsOf, completeMfa, currentCode, enrolTotp, loginForMfa, nextStep } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  createManualClock,
  createTestApp,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const MINUTE = 60_000;

describe("backup codes", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  const status = async (headers: Record<string, string>) =>
    (await t.get("/v1/mfa", headers)).json<{ backupCodesRemaining: number; methods: string[] }>();

  it("are stored only as SHA-256 hashes", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    const rows = await t.database.db
      .selectFrom("mfa_backup_codes")
      .selectAll()
      .where("user_id", "=", user.user.id)
      .execute();
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of backupCodes) {
      expect(stored).not.toContain(code);
      const normalized = code.replaceAll("-", "");
      expect(rows.map((row) => row.code_hash)).toContain(
        createHash("sha256").update(normalized).digest("hex"),
      );
    }
  });

  it("each signs in once, with amr otp, and is refused the second time", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    const [code = ""] = backupCodes;

    const first = await loginForMfa(t, user.email);
    const done = await completeMfa(t, { mfaToken: first.mfaToken, backupCode: code.toUpperCase() });
    expect(done.statusCode, done.body).toBe(200);
    expect(claimsOf(done.json<TokenResponseBody>().accessToken).amr).toEqual(["pwd", "otp", "mfa"]);
    expect((await status(user.headers)).backupCodesRemaining).toBe(9);

    const second = await loginForMfa(t, user.email);
    expectProblem(
      await completeMfa(t, { mfaToken: second.mfaToken, backupCode: code }),
      401,
      "invalid_mfa_code",
    );
    // Another, unused code still works with the same mfaToken.
    const again = await completeMfa(t, { mfaToken: second.mfaToken, backupCode: backupCodes[1] ?? "" });
    expect(again.statusCode, again.body).toBe(200);
  });

  it("of two requests presenting one code at once, exactly one signs in", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    const code = backupCodes[0] ?? "";
    const [one, two] = await Promise.all([loginForMfa(t, user.email), loginForMfa(t, user.email)]);
    const answers = await Promise.all([
      completeMfa(t, { mfaToken: one.mfaToken, backupCode: code }),
      completeMfa(t, { mfaToken: two.mfaToken, backupCode: code }),
    ]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
  });

  it("a TOTP code is not a backup code, nor a backup code a TOTP code", async () => {
    const user = await createSignedInUser(t);
    const { secret, backupCodes } = await enrolTotp(t, user.headers);
    nextStep(clock);
    const { mfaToken } = await loginForMfa(t, user.email);
    expectProblem(
      await completeMfa(t, { mfaToken, backupCode: currentCode(t, secret) }),
      401,
      "invalid_mfa_code",
    );
    expectProblem(await completeMfa(t, { mfaToken, code: backupCodes[0] ?? "" }), 401, "invalid_mfa_code");
  });

  it("regenerating needs a fresh code, answers ten new codes, and the old ones stop working", async () => {
    const user = await createSignedInUser(t);
    const { secret, backupCodes: old } = await enrolTotp(t, user.headers);
    expectProblem(
      await t.post("/v1/mfa/backup-codes", { code: "000000" }, user.headers),
      401,
      "invalid_mfa_code",
    );

    nextStep(clock);
    const fresh = await t.post("/v1/mfa/backup-codes", { code: currentCode(t, secret) }, user.headers);
    expect(fresh.statusCode, fresh.body).toBe(200);
    expect(fresh.headers["cache-control"]).toBe("no-store");
    const { backupCodes } = fresh.json<{ backupCodes: string[] }>();
    expect(backupCodes).toHaveLength(10);
    expect(backupCodes.some((code) => old.includes(code))).toBe(false);

    const { mfaToken } = await loginForMfa(t, user.email);
    expectProblem(await completeMfa(t, { mfaToken, backupCode: old[2] ?? "" }), 401, "invalid_mfa_code");
    expect((await completeMfa(t, { mfaToken, backupCode: backupCodes[0] ?? "" })).statusCode).toBe(200);

    const events = (await t.get("/v1/me/events", user.headers)).json<{ events: { type: string }[] }>().events;
    expect(events.map((event) => event.type)).toContain("mfa.backup_codes_regenerated");
  });

  it("regenerating accepts a backup code as the fresh code, and spends it", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    const response = await t.post("/v1/mfa/backup-codes", { code: backupCodes[0] ?? "" }, user.headers);
    expect(response.statusCode, response.body).toBe(200);
    expectProblem(
      await t.post("/v1/mfa/backup-codes", { code: backupCodes[0] ?? "" }, user.headers),
      401,
      "invalid_mfa_code",
    );
  });

  it("regenerating needs a recent sign-in and an enrolled factor", async () => {
    const user = await createSignedInUser(t);
    expectProblem(
      await t.post("/v1/mfa/backup-codes", { code: "123456" }, user.headers),
      409,
      "mfa_not_enabled",
    );
    const { secret } = await enrolTotp(t, user.headers);
    clock.advance(11 * MINUTE);
    expectProblem(
      await t.post("/v1/mfa/backup-codes", { code: currentCode(t, secret) }, user.headers),
      401,
      "reauthentication_required",
    );
  });
});
