/**
 * The console's "Clients" section in Chromium: an administrator registers an OAuth client with
 * the form and sees its secret once (with the warning to copy it now; a reload shows it no
 * more), is told in words what is wrong with a refused registration (the typed values kept),
 * edits the redirect URIs, scopes and first-party flag, rotates the secret (the old one stops
 * working) and deletes the client behind a confirmation page — each act audited with the
 * administrator as the actor, as through the admin API. Every page passes axe.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { verifyClientSecret } from "../../src/domain/oauth-clients/client-secret.js";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  type OpenOptions,
  STRONG_PASSWORD,
  saveScreenshot,
  usePagesFixture,
} from "./support/pages-fixture.js";

describe.runIf(browserSuitesEnabled)("admin console › clients", () => {
  const pages = usePagesFixture({ env: { PORTCULLIS_SCOPES: "orders:read orders:write" } });

  /** A fresh browser signed in as a new administrator, on the Clients section. */
  async function adminOnClients(options: OpenOptions = {}): Promise<{ adminId: string; page: Page }> {
    const email = uniqueEmail("clients-admin");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, roles: ["user", "admin"], emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(created.code);
    const { page } = await pages.open(options);
    await page.goto("/login?redirectTo=%2Fadmin");
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/admin");
    await page.getByRole("link", { name: "Clients", exact: true }).click();
    await page.waitForURL(/\/admin\/clients$/);
    return { adminId: created.user.id, page };
  }

  const secretOnPage = (page: Page) => page.locator("#new-client-secret").textContent();

  async function actorsOf(clientId: string, type: string): Promise<(string | null)[]> {
    const listed = await pages.t.services.auditLog.listEvents({ type, limit: 50 });
    if (!listed.ok) return [];
    return listed.events.filter((event) => event.details.clientId === clientId).map((event) => event.actorId);
  }

  async function register(page: Page, name: string, redirectUri: string): Promise<string> {
    await page.getByRole("textbox", { name: "Name", exact: true }).fill(name);
    await page.getByRole("checkbox", { name: "Refresh token (stay signed in)" }).check();
    await page.getByRole("textbox", { name: "Redirect URIs", exact: true }).fill(redirectUri);
    await page.getByRole("checkbox", { name: "email", exact: true }).check();
    await page.getByRole("checkbox", { name: "orders:read", exact: true }).check();
    await page.getByRole("button", { name: "Register client" }).click();
    await page.waitForURL(/\/admin\/clients\/[^/?]+\?notice=created$/);
    return decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
  }

  it("registers a confidential client and shows its secret once, with the warning to copy it now", async () => {
    const { adminId, page } = await adminOnClients();
    await expectAccessible(page);
    const id = await register(page, "Orders web", "https://orders.example.com/callback");

    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Orders web");
    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "The client was registered.",
    );
    const reveal = page.getByRole("region", { name: "Your new client secret" });
    await expect(reveal.textContent()).resolves.toContain("it is shown only this once");
    const secret = (await secretOnPage(page))?.trim() ?? "";
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expectAccessible(page);
    await saveScreenshot(page, "admin-client-new-secret-light-1280");

    const stored = await pages.t.services.clients.findClientById(id);
    expect(stored).toMatchObject({
      name: "Orders web",
      type: "confidential",
      redirectUris: ["https://orders.example.com/callback"],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "email", "orders:read"],
      firstParty: false,
    });
    expect(verifyClientSecret(secret, stored?.secretHash ?? "")).toBe(true);
    expect(await actorsOf(id, "client.created")).toEqual([adminId]);

    await page.reload();
    await expect(reveal.count()).resolves.toBe(0);
    await expect(page.content()).resolves.not.toContain(secret);

    await page.getByRole("link", { name: "Clients", exact: true }).click();
    const row = page.getByRole("row").filter({ hasText: "Orders web" });
    await expect(row.textContent()).resolves.toContain("Confidential");
    await expect(row.textContent()).resolves.toContain("authorization_code, refresh_token");
    await expect(page.content()).resolves.not.toContain(secret);
  });

  it("says in words what is wrong with a refused registration, keeping what was typed", async () => {
    const { page } = await adminOnClients();
    const before = (await pages.t.services.clients.listClients()).length;
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Insecure app");
    await page.getByRole("radio", { name: "Public" }).check();
    await page.getByRole("checkbox", { name: "Client credentials (service to service)" }).check();
    await page
      .getByRole("textbox", { name: "Redirect URIs", exact: true })
      .fill("http://app.example.com/cb\nhttps://app.example.com/cb#x");
    await page.getByRole("button", { name: "Register client" }).click();
    await page.waitForLoadState();

    const alert = await page.getByRole("alert").textContent();
    expect(alert).toContain("The client was not saved.");
    expect(alert).toContain("Redirect URIs “http://app.example.com/cb”: must use https://");
    expect(alert).toContain("Redirect URIs “https://app.example.com/cb#x”: must not have a fragment");
    expect(alert).toContain("a public client cannot use client credentials");
    await expect(page.getByRole("textbox", { name: "Name", exact: true }).inputValue()).resolves.toBe(
      "Insecure app",
    );
    await expect(
      page.getByRole("textbox", { name: "Redirect URIs", exact: true }).inputValue(),
    ).resolves.toBe("http://app.example.com/cb\nhttps://app.example.com/cb#x");
    await expect(page.getByRole("radio", { name: "Public" }).isChecked()).resolves.toBe(true);
    await expectAccessible(page);
    expect((await pages.t.services.clients.listClients()).length).toBe(before);
  });

  it("edits a client, rotates its secret (the old one stops working) and deletes it after confirming", async () => {
    const { adminId, page } = await adminOnClients();
    const id = await register(page, "Billing", "https://billing.example.com/cb");
    const first = (await secretOnPage(page))?.trim() ?? "";

    await page
      .getByRole("textbox", { name: "Redirect URIs", exact: true })
      .fill("https://billing.example.com/cb\nhttps://billing.example.com/v2/cb");
    await page.getByRole("checkbox", { name: "orders:write", exact: true }).check();
    await page.getByRole("checkbox", { name: "First-party app: skip the consent page" }).check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/notice=saved$/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "The changes were saved.",
    );
    expect(await pages.t.services.clients.findClientById(id)).toMatchObject({
      redirectUris: ["https://billing.example.com/cb", "https://billing.example.com/v2/cb"],
      scopes: ["openid", "email", "orders:read", "orders:write"],
      firstParty: true,
    });
    expect(await actorsOf(id, "client.updated")).toEqual([adminId]);

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.waitForURL(/notice=secretRotated$/);
    const second = (await secretOnPage(page))?.trim() ?? "";
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    const hash = (await pages.t.services.clients.findClientById(id))?.secretHash ?? "";
    expect(verifyClientSecret(first, hash)).toBe(false);
    expect(verifyClientSecret(second, hash)).toBe(true);
    expect(await actorsOf(id, "client.secret_rotated")).toEqual([adminId]);

    await page.getByRole("link", { name: "Delete this client…" }).click();
    await page.waitForURL(/\/delete$/);
    await expectAccessible(page);
    expect(await pages.t.services.clients.findClientById(id)).not.toBeNull();
    await page.getByRole("button", { name: "Delete client" }).click();
    await page.waitForURL(/\/admin\/clients\?notice=deleted$/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "The client was deleted.",
    );
    expect(await pages.t.services.clients.findClientById(id)).toBeNull();
    expect(await actorsOf(id, "client.deleted")).toEqual([adminId]);
    await expect(page.getByRole("link", { name: "Billing", exact: true }).count()).resolves.toBe(0);
  });

  it("registers a public client without a secret and offers no rotation for it (dark, 375 px)", async () => {
    const { page } = await adminOnClients({ colorScheme: "dark", width: 375 });
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Mobile");
    await page.getByRole("radio", { name: "Public" }).check();
    await page
      .getByRole("textbox", { name: "Redirect URIs", exact: true })
      .fill("com.example.mobile:/callback");
    await page.getByRole("button", { name: "Register client" }).click();
    await page.waitForURL(/notice=created$/);
    await expect(page.locator("#new-client-secret").count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Rotate secret" }).count()).resolves.toBe(0);
    await expect(page.getByText("None: a public client proves itself with PKCE.").count()).resolves.toBe(1);
    await expectAccessible(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
