/**
 * The admin console in Chromium: an administrator finds a user with "Search users" and disables,
 * enables, signs out everywhere, resets two-factor, changes roles, creates and deletes — each act
 * takes effect at once (the user's open page is signed out on its next load) and is in the audit
 * log with the administrator as the actor, as through the admin API. Only the `admin` role opens
 * the console (a 403 page in words otherwise; signed out: to sign-in and back). The audit log
 * shows the chain's verdict, and "Rotate" adds a signing key as `keys rotate` does.
 */
import { sql } from "kysely";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { enrolTotp } from "../support/mfa.js";
import { bearer, uniqueEmail } from "../support/test-app.js";
import { browserSuitesEnabled, STRONG_PASSWORD, usePagesFixture } from "./support/pages-fixture.js";

interface Account {
  id: string;
  email: string;
}

describe.runIf(browserSuitesEnabled)("admin console", () => {
  const pages = usePagesFixture();

  async function createAccount(roles: string[] = ["user"]): Promise<Account> {
    const email = uniqueEmail(roles.includes("admin") ? "console-admin" : "console-user");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, roles, emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(`createUser failed: ${created.code}`);
    return { id: created.user.id, email };
  }

  /** Signs in through `/login?redirectTo=target` and waits to land on `target`. */
  async function signIn(page: Page, email: string, target = "/admin"): Promise<void> {
    await page.goto(`/login?redirectTo=${encodeURIComponent(target)}`);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === target);
  }

  /** A fresh browser signed in as a new administrator, on the console. */
  async function adminBrowser(): Promise<{ admin: Account; page: Page }> {
    const admin = await createAccount(["user", "admin"]);
    const { page } = await pages.open();
    await signIn(page, admin.email);
    return { admin, page };
  }

  /** "Search users" from the overview, then the user's page. */
  async function openUser(page: Page, email: string): Promise<void> {
    await page.goto("/admin");
    await page.getByRole("searchbox", { name: "Search users" }).fill(email);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(/\/admin\/users\?q=/);
    await page.getByRole("link", { name: email }).click();
    await page.waitForURL(/\/admin\/users\/[^/?]+$/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(email);
  }

  async function click(page: Page, button: string, landsOn: RegExp): Promise<void> {
    await page.getByRole("button", { name: button, exact: true }).click();
    await page.waitForURL(landsOn);
  }

  const forbiddenWords = "Your account is not allowed to open this page.";

  it("disables a user found with Search users; their open page is signed out on its next load", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    const userBrowser = await pages.open();
    await signIn(userBrowser.page, user.email);
    await expect(userBrowser.page.getByRole("alert").textContent()).resolves.toContain(forbiddenWords);

    await openUser(page, user.email);
    await click(page, "Disable", /notice=disabled/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("disabled");
    await expect(page.getByRole("button", { name: "Enable", exact: true }).count()).resolves.toBe(1);
    // The user's page lists the act among their events, with the administrator who did it.
    const disabledRow = page
      .getByRole("region", { name: "Recent events" })
      .getByRole("row")
      .filter({ hasText: "Account disabled" });
    await expect(disabledRow.count()).resolves.toBe(1);
    await expect(disabledRow.textContent()).resolves.toContain(admin.email);

    await userBrowser.page.reload();
    await userBrowser.page.waitForURL(/\/login\?redirectTo=%2Fadmin$/);
    await userBrowser.page.getByRole("textbox", { name: "Email" }).fill(user.email);
    await userBrowser.page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await userBrowser.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(userBrowser.page.getByRole("alert").textContent()).resolves.toContain(
      "This account is disabled.",
    );

    const disabled = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "user.disabled",
      limit: 5,
    });
    expect(disabled.ok && disabled.events.map((event) => event.actorId)).toEqual([admin.id]);

    await click(page, "Enable", /notice=enabled/);
    await expect(page.getByRole("button", { name: "Disable", exact: true }).count()).resolves.toBe(1);
    await signIn(userBrowser.page, user.email);
    const enabled = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "user.enabled",
      limit: 5,
    });
    expect(enabled.ok && enabled.events.map((event) => event.actorId)).toEqual([admin.id]);
  });

  it("signs a user out everywhere: every browser of theirs lands on sign-in", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    const laptop = await pages.open();
    const phone = await pages.open({ width: 375 });
    await signIn(laptop.page, user.email);
    await signIn(phone.page, user.email);

    await openUser(page, user.email);
    await expect(page.getByRole("region", { name: "Sessions" }).getByRole("row").count()).resolves.toBe(3);
    await click(page, "Sign out everywhere", /notice=signedOut/);
    await expect(page.getByText("No live sessions.").count()).resolves.toBe(1);

    for (const browser of [laptop, phone]) {
      await browser.page.reload();
      await browser.page.waitForURL(/\/login\?redirectTo=/);
    }
    const revoked = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "session.revoked",
      limit: 5,
    });
    expect(revoked.ok && revoked.events.map((event) => [event.actorId, event.details.reason])).toEqual([
      [admin.id, "revoked_by_admin"],
      [admin.id, "revoked_by_admin"],
    ]);
  });

  it("resets two-factor: afterwards the user signs in without a code", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    const login = await pages.t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD });
    await enrolTotp(pages.t, bearer(login.json<{ accessToken: string }>().accessToken));

    const userBrowser = await pages.open();
    await userBrowser.page.goto("/login?redirectTo=%2Fadmin");
    await userBrowser.page.getByRole("textbox", { name: "Email" }).fill(user.email);
    await userBrowser.page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await userBrowser.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await userBrowser.page.waitForURL(/\/login\/mfa/);

    await openUser(page, user.email);
    await expect(page.getByRole("definition").filter({ hasText: /^On$/ }).count()).resolves.toBe(1);
    await click(page, "Reset two-factor", /notice=mfaReset/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "Two-factor authentication was reset",
    );

    await signIn(userBrowser.page, user.email);
    const reset = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "mfa.reset",
      limit: 5,
    });
    expect(reset.ok && reset.events.map((event) => event.actorId)).toEqual([admin.id]);
  });

  it("changes roles with checkboxes: a new admin opens the console; losing the role signs them out", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    await openUser(page, user.email);
    await page.getByRole("checkbox", { name: "admin", exact: true }).check();
    await click(page, "Save roles", /notice=rolesSaved/);
    await expect(page.getByRole("checkbox", { name: "admin", exact: true }).isChecked()).resolves.toBe(true);
    expect((await pages.t.services.userAdmin.getUser(user.id))?.roles).toEqual(["user", "admin"]);

    const userBrowser = await pages.open();
    await signIn(userBrowser.page, user.email);
    await expect(userBrowser.page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Administration",
    );

    await page.getByRole("checkbox", { name: "admin", exact: true }).uncheck();
    await click(page, "Save roles", /notice=rolesSaved/);
    await userBrowser.page.reload();
    await userBrowser.page.waitForURL(/\/login\?redirectTo=%2Fadmin$/);
    const changed = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "user.roles_changed",
      limit: 5,
    });
    expect(changed.ok && changed.events.map((event) => [event.actorId, event.details.to])).toEqual([
      [admin.id, "user"],
      [admin.id, "user admin"],
    ]);
  });

  it("creates a user with the form, saying a weak password and a taken address in words", async () => {
    const { admin, page } = await adminBrowser();
    const taken = await createAccount();
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.waitForURL(/\/admin\/users$/);
    expect(await page.getByRole("link", { name: "Users", exact: true }).getAttribute("aria-current")).toBe(
      "page",
    );

    const email = uniqueEmail("console-created");
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Use at least 8 characters.");
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe(email);
    await expect(page.getByLabel("Password", { exact: true }).inputValue()).resolves.toBe("");

    await page.getByRole("textbox", { name: "Email" }).fill(taken.email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("already exists");

    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("textbox", { name: "Name (optional)" }).fill("Grace Console");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.waitForURL(/\/admin\/users\/[^/?]+\?notice=created$/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(email);
    await expect(page.getByText("Grace Console").count()).resolves.toBe(1);
    // Audited as the admin API's acts are: the administrator is the actor.
    const createdId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
    const registered = await pages.t.services.auditLog.listEvents({
      userId: createdId,
      type: "user.registered",
      limit: 5,
    });
    expect(registered.ok && registered.events.map((event) => event.actorId)).toEqual([admin.id]);
    expect(registered.ok && registered.events[0]?.ip).not.toBeNull();

    const newcomer = await pages.open();
    await signIn(newcomer.page, email);
  });

  it("deletes a user only after the confirmation page", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    await openUser(page, user.email);
    await page.getByRole("link", { name: "Delete this user…" }).click();
    await page.waitForURL(/\/delete$/);
    expect(await pages.t.services.userAdmin.getUser(user.id)).toBeDefined();
    await page.getByRole("button", { name: "Delete user" }).click();
    await page.waitForURL(/\/admin\/users\?notice=deleted$/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("The user was deleted.");
    expect(await pages.t.services.userAdmin.getUser(user.id)).toBeUndefined();
    const deleted = await pages.t.services.auditLog.listEvents({
      userId: user.id,
      type: "user.deleted",
      limit: 5,
    });
    expect(deleted.ok && deleted.events.map((event) => event.actorId)).toEqual([admin.id]);
  });

  it("shows a signed-in user without the role a 403 page in words, and sends a signed-out visit to sign-in", async () => {
    const user = await createAccount();
    const { page } = await pages.open();
    const signedOut = await page.goto("/admin/audit");
    expect(signedOut?.url()).toBe(`${pages.baseUrl}/login?redirectTo=%2Fadmin%2Faudit`);

    await page.getByRole("textbox", { name: "Email" }).fill(user.email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Not allowed");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(forbiddenWords);
    for (const path of [
      "/admin",
      "/admin/users",
      `/admin/users/${user.id}`,
      "/admin/keys",
      "/admin/clients",
    ]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(403);
    }
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute("content")) ?? "";
    const kid = pages.t.services.keyRing.signingKey().kid;
    const post = await page.request.post("/admin/keys/rotate", { form: { _csrf: csrf } });
    expect(post.status()).toBe(403);
    expect(await post.text()).toContain(forbiddenWords);
    expect(pages.t.services.keyRing.signingKey().kid).toBe(kid);
  });

  it("lists the admin's acts in the audit log, filtered by type, and says whether the chain is intact", async () => {
    const { admin, page } = await adminBrowser();
    const user = await createAccount();
    await openUser(page, user.email);
    await click(page, "Disable", /notice=disabled/);

    await page.getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/admin\/audit$/);
    await page.getByRole("combobox", { name: "Event type" }).selectOption("user.disabled");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.waitForURL(/type=user\.disabled/);
    const row = page.getByRole("row").filter({ hasText: user.email });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain(admin.email);
    await expect(row.textContent()).resolves.toContain("Account disabled");

    await page.getByRole("button", { name: "Verify the chain" }).click();
    await page.waitForURL(/verify=1/);
    await expect(page.getByRole("status").first().textContent()).resolves.toMatch(
      /The chain is intact: all \d+ events check out\./,
    );

    // Someone with database access rewrites where the disable came from: the check names the event.
    const db = pages.t.database.db;
    const target = (
      await sql<{ seq: number; ip: string | null }>`select seq, ip from audit_events
        where type = 'user.disabled' and user_id = ${user.id}`.execute(db)
    ).rows[0];
    if (target === undefined) throw new Error("no user.disabled event");
    await sql`update audit_events set ip = '203.0.113.66' where seq = ${target.seq}`.execute(db);
    try {
      await page.reload();
      const alert = await page.getByRole("alert").textContent();
      expect(alert).toContain(`The chain is broken at event ${Number(target.seq)} (user.disabled).`);
      expect(alert).toContain("it was changed");
    } finally {
      await sql`update audit_events set ip = ${target.ip} where seq = ${target.seq}`.execute(db);
    }
  });

  it("rotates the signing keys: a new current key, the old one retired and still published", async () => {
    const { admin, page } = await adminBrowser();
    await page.getByRole("link", { name: "Signing keys" }).click();
    await page.waitForURL(/\/admin\/keys$/);
    const keyRows = page.getByRole("region", { name: "Signing keys" }).getByRole("row");
    const before = await keyRows.count();
    const kidBefore = pages.t.services.keyRing.signingKey().kid;

    await click(page, "Rotate", /notice=rotated/);
    await expect(keyRows.count()).resolves.toBe(before + 1);
    const kidAfter = pages.t.services.keyRing.signingKey().kid;
    expect(kidAfter).not.toBe(kidBefore);
    const current = keyRows.filter({ hasText: "Current" });
    await expect(current.count()).resolves.toBe(1);
    await expect(current.textContent()).resolves.toContain(kidAfter);
    await expect(keyRows.filter({ hasText: kidBefore }).textContent()).resolves.toContain("Retired");

    const jwks = (await pages.t.get("/.well-known/jwks.json")).json<{ keys: { kid: string }[] }>();
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([kidBefore, kidAfter]));
    const rotated = await pages.t.services.auditLog.listEvents({ type: "signing_key.rotated", limit: 1 });
    expect(rotated.ok && rotated.events[0]?.actorId).toBe(admin.id);
    expect(rotated.ok && rotated.events[0]?.details.kid).toBe(kidAfter);
  });

  it("shows the overview: users, the day's sign-ins and failures, and the service's health", async () => {
    const user = await createAccount();
    await pages.t.post("/v1/auth/login", { email: user.email, password: "not-the-password-42" });
    const { page } = await adminBrowser();
    const users = await pages.t.services.userAdmin.countUsers();
    const counts = await pages.t.services.auditLog.countRecentEvents(
      ["login.succeeded", "login.failed"],
      86_400_000,
    );
    expect(counts["login.failed"]).toBeGreaterThanOrEqual(1);

    const stat = (name: string) =>
      page
        .getByRole("term")
        .filter({ hasText: new RegExp(`^${name}$`) })
        .locator("xpath=following-sibling::dd");
    await expect(stat("Users").textContent()).resolves.toBe(String(users));
    await expect(stat("Sign-ins in the last 24 hours").textContent()).resolves.toBe(
      String(counts["login.succeeded"]),
    );
    await expect(stat("Failed sign-ins in the last 24 hours").textContent()).resolves.toBe(
      String(counts["login.failed"]),
    );
    await expect(stat("Database").textContent()).resolves.toBe("Working");
    await expect(
      page.getByRole("navigation", { name: "Administration sections" }).getByRole("link").allTextContents(),
    ).resolves.toEqual(["Overview", "Users", "Audit log", "Signing keys", "Clients", "Webhooks"]);
    expect(await page.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");

    await page.getByRole("link", { name: "Clients" }).click();
    await page.waitForURL(/\/admin\/clients$/);
    await expect(page.getByRole("main").textContent()).resolves.toContain(
      "OAuth clients are the apps that sign people in with",
    );
  });
});
