/**
 * Invariant: the server secret can be rotated without losing what it sealed. Started with a new
 * PORTCULLIS_SECRET and the old one in PORTCULLIS_SECRET_PREVIOUS, the server opens signing keys,
 * TOTP secrets and webhook secrets sealed under the old one (tokens verify, TOTP sign-in works,
 * webhooks are signed) while sealing anything new under the new one; `secrets reseal`, run while
 * that server serves, seals everything again under the new secret in committed pages, can stop
 * half-way and be run again, leaves alone a row an instance changed under it, and says when the
 * old secret may go; afterwards the new secret alone opens everything. Before the reseal, the new
 * secret alone opens none of it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeReport, resealSecrets } from "../../src/cli/secrets-command.js";
import { createTotpSecretBox, deriveTotpKey } from "../../src/domain/mfa/totp-secret-box.js";
import type { SealedSecretStore } from "../../src/domain/secrets/sealed-secret-store.js";
import { deriveKeyEncryptionKey } from "../../src/domain/tokens/key-encryption.js";
import { createKeyRing } from "../../src/domain/tokens/key-ring.js";
import { createWebhookSecretBox } from "../../src/domain/webhooks/webhook-secret.js";
import { openSqlDatabase } from "../../src/store/sql/database.js";
import { createSigningKeyRepository } from "../../src/store/sql/signing-key-repository.js";
import { createAdmin, loginAs, type SignedIn } from "../support/accounts.js";
import { completeMfa, currentCode, enrolTotp, loginForMfa, nextStep } from "../support/mfa.js";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  TEST_SECRET,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { createWebhook } from "../support/webhooks.js";

const OLD_SECRET = TEST_SECRET;
const NEW_SECRET = "rotated-Secret-7f3Kq9ZxW2mL8pV4tN6bR1cY5hJ0dGsE";
const CLI_TIMEOUT_MS = 30_000;

let dir: string;
let databaseUrl: string;
let clock: ReturnType<typeof createManualClock>;
let apps: TestApp[] = [];
let receiver: WebhookReceiver | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-rotation-"));
  databaseUrl =
    TEST_STORE === "postgres" ? (await createPostgresSchema()).url : `sqlite:${join(dir, "portcullis.db")}`;
  clock = createManualClock(Date.now());
});

afterEach(async () => {
  for (const app of apps) await app.close();
  apps = [];
  await receiver?.close();
  receiver = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** An instance over the shared database with `secret` (and `previous`, comma-separated). */
async function start(secret: string, previous?: string): Promise<TestApp> {
  const app = await createTestApp({
    clock,
    env: {
      DATABASE_URL: databaseUrl,
      PORTCULLIS_SECRET: secret,
      ...(previous === undefined ? {} : { PORTCULLIS_SECRET_PREVIOUS: previous }),
    },
  });
  apps.push(app);
  return app;
}

async function stop(app: TestApp): Promise<void> {
  apps = apps.filter((each) => each !== app);
  await app.close();
}

/** Password, then a fresh TOTP code: the whole two-step sign-in. */
async function signInWithTotp(t: TestApp, email: string, secret: Uint8Array): Promise<TokenResponseBody> {
  const { mfaToken } = await loginForMfa(t, email);
  nextStep(clock);
  const response = await completeMfa(t, { mfaToken, code: currentCode(t, secret) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponseBody>();
}

/** The next webhook delivery the worker sends, once stepped. */
async function nextDelivery(t: TestApp) {
  const before = receiver?.received.length ?? 0;
  await t.services.webhookWorker.drainOnce();
  if (receiver === undefined) throw new Error("no receiver");
  return receiver.next(before);
}

async function keyIdsOf(t: TestApp) {
  const totp = await t.database.db.selectFrom("mfa_totp").select("key_id").execute();
  const webhooks = await t.database.db.selectFrom("webhooks").select("secret_key_id").execute();
  return {
    totp: new Set(totp.map((row) => row.key_id)),
    webhooks: new Set(webhooks.map((row) => row.secret_key_id)),
  };
}

interface SealedUnderOldSecret {
  admin: SignedIn;
  user: { email: string; totp: Uint8Array };
}

/** Phase one, under the old secret alone: two signing keys, a TOTP enrolment, a webhook. */
async function sealUnderOldSecret(): Promise<SealedUnderOldSecret> {
  const t = await start(OLD_SECRET);
  const admin = await createAdmin(t);
  const signedUp = await t.signUp();
  const { secret: totp } = await enrolTotp(t, bearer(signedUp.accessToken));
  receiver = await startWebhookReceiver();
  const { secret } = await createWebhook(t, admin, { url: receiver.url(), events: ["login.succeeded"] });
  receiver.useSecret(secret);
  // A second key, so the admin's token is signed by a retired one.
  await t.services.signingKeys.rotate();
  await stop(t);
  return { admin, user: { email: signedUp.user.email, totp } };
}

describe("secret rotation", () => {
  it("opens what the old secret sealed, reseals it while serving, then needs only the new secret", async () => {
    const { admin, user } = await sealUnderOldSecret();

    // The new secret alone opens nothing the old one sealed.
    const database = await openSqlDatabase(databaseUrl);
    try {
      const keys = await createSigningKeyRepository(database.db).listSigningKeys();
      expect(keys).toHaveLength(2);
      expect(() =>
        createKeyRing({ kek: deriveKeyEncryptionKey(NEW_SECRET), algorithm: "ES256", keys }),
      ).toThrow(/authentication failed/);
    } finally {
      await database.close();
    }

    // New secret, old one as previous: everything opens; something new is sealed under the new key.
    const rotating = await start(NEW_SECRET, OLD_SECRET);
    expect((await rotating.get("/v1/me", bearer(admin.accessToken))).statusCode).toBe(200);
    await signInWithTotp(rotating, user.email, user.totp);
    expect((await nextDelivery(rotating)).verified).toBe(true);
    const newcomer = await rotating.signUp();
    await enrolTotp(rotating, bearer(newcomer.accessToken));
    const newTotpKey = deriveTotpKey(NEW_SECRET).id;
    expect((await keyIdsOf(rotating)).totp).toEqual(new Set([deriveTotpKey(OLD_SECRET).id, newTotpKey]));

    // The command line, while that instance serves; one row per page.
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      PORTCULLIS_DATA_DIR: dir,
      PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
      PORTCULLIS_SECRET: NEW_SECRET,
      PORTCULLIS_SECRET_PREVIOUS: OLD_SECRET,
    };
    const cli = () =>
      runTypeScript(CLI_ENTRY, ["secrets", "reseal", "--batch-size", "1"], {
        cwd: dir,
        env,
        timeoutMs: CLI_TIMEOUT_MS,
      });
    const first = await cli();
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      counts: {
        signing_key: { resealed: 2, current: 0, changed: 0, unreadable: 0 },
        totp_secret: { resealed: 1, current: 0, changed: 0, unreadable: 0 },
        webhook_secret: { resealed: 1, current: 0, changed: 0, unreadable: 0 },
      },
      pending: 0,
      unreadable: 0,
    });
    expect(first.stderr).toMatch(/PORTCULLIS_SECRET_PREVIOUS can be removed/);
    expect(first.stderr).not.toContain(OLD_SECRET);
    expect(first.stderr).not.toContain(NEW_SECRET);
    expect(await keyIdsOf(rotating)).toEqual({
      totp: new Set([newTotpKey]),
      webhooks: new Set([createWebhookSecretBox({ secret: NEW_SECRET }).currentKeyId]),
    });

    // Run again: nothing left to do.
    const second = await cli();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      counts: {
        signing_key: { resealed: 0, current: 2 },
        totp_secret: { resealed: 0 },
        webhook_secret: { resealed: 0 },
      },
      pending: 0,
    });

    // The serving instance noticed nothing.
    await signInWithTotp(rotating, user.email, user.totp);
    await stop(rotating);

    // The new secret alone: keys, tokens, TOTP and webhooks all still work.
    const rotated = await start(NEW_SECRET);
    expect((await rotated.get("/v1/me", bearer(admin.accessToken))).statusCode).toBe(200);
    const tokens = await signInWithTotp(rotated, user.email, user.totp);
    expect((await rotated.get("/v1/me", bearer(tokens.accessToken))).statusCode).toBe(200);
    expect((await nextDelivery(rotated)).verified).toBe(true);
    expect((await loginAs(rotated, admin.email)).accessToken).not.toBe("");
  });

  it("is resumable: a run stopped half-way leaves committed pages done, and a second run finishes", async () => {
    const t = await start(OLD_SECRET);
    for (let i = 0; i < 5; i += 1) await enrolTotp(t, bearer((await t.signUp()).accessToken));
    await stop(t);
    const rotating = await start(NEW_SECRET, OLD_SECRET);
    const newTotpKey = deriveTotpKey(NEW_SECRET).id;

    let writes = 0;
    const failing = (store: SealedSecretStore): SealedSecretStore => ({
      ...store,
      async replaceSealedSecrets(kind, batch) {
        if (kind === "totp_secret" && ++writes === 2) throw new Error("the process was killed");
        return store.replaceSealedSecrets(kind, batch);
      },
    });
    await expect(
      resealSecrets(rotating.config, rotating.database, { batchSize: 2, wrapStore: failing }),
    ).rejects.toThrow(/killed/);
    const rows = await rotating.database.db.selectFrom("mfa_totp").select("key_id").execute();
    expect(rows.filter((row) => row.key_id === newTotpKey)).toHaveLength(2);

    const report = await resealSecrets(rotating.config, rotating.database, { batchSize: 2 });

    expect(report.counts.totp_secret).toEqual({ resealed: 3, current: 0, changed: 0, unreadable: 0 });
    expect(report.pending).toBe(0);
    expect((await keyIdsOf(rotating)).totp).toEqual(new Set([newTotpKey]));
  });

  it("leaves alone a row an instance sealed again meanwhile, and counts it", async () => {
    const t = await start(OLD_SECRET);
    for (let i = 0; i < 3; i += 1) await enrolTotp(t, bearer((await t.signUp()).accessToken));
    await stop(t);
    const rotating = await start(NEW_SECRET, OLD_SECRET);
    const instanceBox = createTotpSecretBox({ secret: NEW_SECRET });
    const byInstance = instanceBox.seal(new Uint8Array(20).fill(7));
    let changedUserId: string | undefined;

    const racing = (store: SealedSecretStore): SealedSecretStore => ({
      ...store,
      async replaceSealedSecrets(kind, batch) {
        if (kind === "totp_secret" && changedUserId === undefined) {
          // A serving instance re-enrols this user between the read and the write.
          changedUserId = batch[0]?.id;
          await rotating.database.db
            .updateTable("mfa_totp")
            .set({ secret_sealed: byInstance.sealed, key_id: byInstance.keyId })
            .where("user_id", "=", changedUserId ?? "")
            .execute();
        }
        return store.replaceSealedSecrets(kind, batch);
      },
    });

    const report = await resealSecrets(rotating.config, rotating.database, {
      batchSize: 10,
      wrapStore: racing,
    });

    expect(report.counts.totp_secret).toEqual({ resealed: 2, current: 0, changed: 1, unreadable: 0 });
    expect(report.pending).toBe(0);
    const kept = await rotating.database.db
      .selectFrom("mfa_totp")
      .select("secret_sealed")
      .where("user_id", "=", changedUserId ?? "")
      .executeTakeFirstOrThrow();
    expect(kept.secret_sealed).toBe(byInstance.sealed);
  });

  it("counts what no configured secret opens, and does not say the old secret may go", async () => {
    const t = await start(OLD_SECRET);
    await enrolTotp(t, bearer((await t.signUp()).accessToken));
    await stop(t);
    const rotating = await start(NEW_SECRET, OLD_SECRET);

    // As if PORTCULLIS_SECRET_PREVIOUS had been dropped before the reseal.
    const forgetful = { ...rotating.config, previousSecrets: [] };
    const report = await resealSecrets(forgetful, rotating.database, { batchSize: 10 });

    expect(report.counts.signing_key).toEqual({ resealed: 0, current: 0, changed: 0, unreadable: 1 });
    expect(report.counts.totp_secret).toEqual({ resealed: 0, current: 0, changed: 0, unreadable: 1 });
    expect(report.unreadable).toBe(2);
    expect(describeReport(report, forgetful).join("\n")).not.toMatch(/can be removed/);
  });
});
