/**
 * The admin console's pages — users, audit log, keys, clients and webhooks, each with its detail
 * and confirmation pages — pass axe-core (WCAG 2.2 AA) in light and dark, wide and on a phone, read
 * in German once chosen, and are photographed wide and narrow in both themes for the
 * gallery. This server has exactly one administrator, so the console says in words (409) that
 * the last administrator can neither be disabled, demoted nor deleted.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  usePagesFixture,
} from "./support/pages-fixture.js";

interface Account {
  id: string;
  email: string;
}

interface Fixture {
  admin: Account;
  subject: Account;
  /** A webhook with deliveries, and a confidential OAuth client: their pages are in the console too. */
  webhookId: string;
  clientId: string;
}

describe.runIf(browserSuitesEnabled)("admin console pages", () => {
  const pages = usePagesFixture();
  let accounts: Fixture | undefined;

  async function createAccount(roles: string[], name: string | null = null): Promise<Account> {
    const email = uniqueEmail(roles.includes("admin") ? "look-admin" : "look-user");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, name, roles, emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(`createUser failed: ${created.code}`);
    return { id: created.user.id, email };
  }

  /** The one administrator, a user with sessions and events to show, a webhook and a client. */
  async function fixtureAccounts(): Promise<Fixture> {
    if (accounts !== undefined) return accounts;
    const admin = await createAccount(["user", "admin"], "Ada Admin");
    // Nothing listens on port 9 (discard): the deliveries of the accounts below stay pending.
    const webhook = await pages.t.services.webhooks.createWebhook(
      { url: "http://127.0.0.1:9/hooks/crm", events: ["user.registered"], description: "CRM sync" },
      { userId: admin.id, client: null },
    );
    if (!webhook.ok) throw new Error("createWebhook failed");
    const client = await pages.t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "email", "profile"],
        redirectUris: ["https://wiki.example.com/callback"],
      },
      null,
    );
    if (!client.ok) throw new Error("createClient failed");
    const subject = await createAccount(["user"], "Grace Example");
    for (let i = 0; i < 3; i++) await createAccount(["user"], i === 0 ? null : `Person ${i}`);
    await pages.t.post("/v1/auth/login", { email: subject.email, password: STRONG_PASSWORD });
    await pages.t.post("/v1/auth/login", { email: subject.email, password: "not-the-password-42" });
    await pages.t.services.signingKeys.rotate();
    accounts = { admin, subject, webhookId: webhook.webhook.id, clientId: client.client.id };
    return accounts;
  }

  async function signIn(page: Page, email: string, target = "/admin"): Promise<void> {
    await page.goto(`/login?redirectTo=${encodeURIComponent(target)}`);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === target);
  }

  /** Submits with `button` and returns the status of the page the form posted to. */
  async function submit(page: Page, button: string): Promise<number> {
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST"),
      page.getByRole("button", { name: button, exact: true }).click(),
    ]);
    await page.waitForLoadState();
    return response.status();
  }

  it("refuses, in words, to disable, demote or delete the last administrator", async () => {
    const { admin } = await fixtureAccounts();
    const { page } = await pages.open();
    await signIn(page, admin.email, `/admin/users/${admin.id}`);
    const lastAdmin = "This is the only administrator. Make someone else an administrator first.";

    expect(await submit(page, "Disable")).toBe(409);
    await expect(page.getByRole("alert").textContent()).resolves.toContain(lastAdmin);

    await page.getByRole("checkbox", { name: "admin", exact: true }).uncheck();
    expect(await submit(page, "Save roles")).toBe(409);
    await expect(page.getByRole("alert").textContent()).resolves.toContain(lastAdmin);
    // The refused choice is shown as it was made, not silently reset.
    await expect(page.getByRole("checkbox", { name: "admin", exact: true }).isChecked()).resolves.toBe(false);

    await page.goto(`/admin/users/${admin.id}/delete`);
    expect(await submit(page, "Delete user")).toBe(409);
    await expect(page.getByRole("alert").textContent()).resolves.toContain(lastAdmin);
    expect((await pages.t.services.userAdmin.getUser(admin.id))?.disabledAt).toBeNull();
    expect((await pages.t.services.userAdmin.getUser(admin.id))?.roles).toContain("admin");
  });

  function consolePaths({ subject, webhookId, clientId }: Fixture): string[] {
    return [
      "/admin",
      "/admin/users",
      "/admin/users?q=grace",
      `/admin/users/${subject.id}`,
      `/admin/users/${subject.id}/delete`,
      "/admin/audit?verify=1",
      `/admin/audit?userId=${subject.id}&type=login.failed`,
      "/admin/keys",
      "/admin/clients",
      `/admin/clients/${clientId}`,
      `/admin/clients/${clientId}/delete`,
      "/admin/webhooks",
      `/admin/webhooks/${webhookId}`,
      `/admin/webhooks/${webhookId}/delete`,
    ];
  }

  for (const [colorScheme, width] of [
    ["light", 1280],
    ["dark", 1280],
    ["light", 375],
    ["dark", 375],
  ] as const) {
    it(`passes axe, ${colorScheme} at ${width} px`, { timeout: 180_000 }, async () => {
      const fixture = await fixtureAccounts();
      const { page } = await pages.open({ colorScheme, width });
      await signIn(page, fixture.admin.email);
      for (const path of consolePaths(fixture)) {
        const response = await page.goto(path);
        expect(response?.status(), path).toBe(200);
        await expect(page.locator("h1").count()).resolves.toBe(1);
        await expectAccessible(page);
      }
      // An error state: the create form refusing a weak password.
      await page.goto("/admin/users");
      await page.getByRole("textbox", { name: "Email" }).fill(uniqueEmail("look-weak"));
      await page.getByLabel("Password", { exact: true }).fill("short");
      expect(await submit(page, "Create user")).toBe(400);
      await expectAccessible(page);
    });
  }

  it("keeps every table usable at 375 px: it scrolls inside its own region, never the page", async () => {
    const fixture = await fixtureAccounts();
    const { page } = await pages.open({ width: 375 });
    await signIn(page, fixture.admin.email);
    for (const path of consolePaths(fixture)) {
      await page.goto(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
  });

  it("speaks German once the language switcher says so", async () => {
    const { admin } = await fixtureAccounts();
    const { page } = await pages.open();
    await signIn(page, admin.email);
    await page.getByRole("combobox", { name: "Language" }).selectOption("de");
    await page.getByRole("button", { name: "Change" }).click();
    await page.waitForURL(/\/admin$/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Verwaltung");
    await expect(
      page.getByRole("navigation", { name: "Bereiche der Verwaltung" }).getByRole("link").allTextContents(),
    ).resolves.toEqual([
      "Übersicht",
      "Benutzer",
      "Audit-Protokoll",
      "Signaturschlüssel",
      "Clients",
      "Webhooks",
    ]);
    await expect(page.getByRole("searchbox", { name: "Benutzer suchen" }).count()).resolves.toBe(1);
  });

  it("looks right wide and narrow, light and dark", { timeout: 180_000 }, async () => {
    const { admin, subject, webhookId, clientId } = await fixtureAccounts();
    const shots: [string, string][] = [
      ["admin", "/admin"],
      ["admin-users", "/admin/users"],
      ["admin-user", `/admin/users/${subject.id}`],
      ["admin-audit", "/admin/audit?verify=1"],
      ["admin-keys", "/admin/keys"],
      ["admin-clients", "/admin/clients"],
      ["admin-client", `/admin/clients/${clientId}`],
      ["admin-client-delete", `/admin/clients/${clientId}/delete`],
      ["admin-user-delete", `/admin/users/${subject.id}/delete`],
      ["admin-webhooks", "/admin/webhooks"],
      ["admin-webhook", `/admin/webhooks/${webhookId}`],
      ["admin-webhook-delete", `/admin/webhooks/${webhookId}/delete`],
    ];
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { page } = await pages.open({ colorScheme, width });
        await signIn(page, admin.email);
        for (const [name, path] of shots) {
          await page.goto(path);
          await saveScreenshot(page, `${name}-${colorScheme}-${width}`);
        }
      }
    }
  });
});
