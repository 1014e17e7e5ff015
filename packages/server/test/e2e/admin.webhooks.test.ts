/**
 * The console's "Webhooks" section in Chromium: an administrator registers a webhook with the form
 * (pointing at a real receiver on loopback) and sees its signing secret once, with the warning to
 * copy it now (a reload shows it no more, and the receiver verifies deliveries with it); an event
 * shows up on the webhook's page as a delivery, a failed attempt can be retried from there; a
 * refused form is answered in words with what was typed kept; the settings are edited and the
 * webhook deleted behind a confirmation page — each change audited with the administrator as the
 * actor, as through the admin API. Every page passes axe.
 */
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { registerUser } from "../support/webhooks.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  type OpenOptions,
  STRONG_PASSWORD,
  saveScreenshot,
  usePagesFixture,
} from "./support/pages-fixture.js";

describe.runIf(browserSuitesEnabled)("admin console › webhooks", () => {
  const pages = usePagesFixture();
  const receivers: WebhookReceiver[] = [];

  afterEach(async () => {
    for (const receiver of receivers.splice(0)) await receiver.close();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    receivers.push(started);
    return started;
  }

  /** A fresh browser signed in as a new administrator, on the Webhooks section. */
  async function adminOnWebhooks(options: OpenOptions = {}): Promise<{ adminId: string; page: Page }> {
    const email = uniqueEmail("webhooks-admin");
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
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await page.waitForURL(/\/admin\/webhooks$/);
    return { adminId: created.user.id, page };
  }

  async function actorsOf(webhookId: string, type: string): Promise<(string | null)[]> {
    const listed = await pages.t.services.auditLog.listEvents({ type, limit: 50 });
    if (!listed.ok) return [];
    return listed.events
      .filter((event) => event.details.webhookId === webhookId)
      .map((event) => event.actorId);
  }

  async function register(page: Page, url: string, events: string[]): Promise<string> {
    await page.getByRole("textbox", { name: "URL", exact: true }).fill(url);
    for (const event of events) await page.getByRole("checkbox", { name: event, exact: true }).check();
    await page.getByRole("textbox", { name: "Description (optional)" }).fill("CRM sync");
    await page.getByRole("button", { name: "Register webhook" }).click();
    await page.waitForURL(/\/admin\/webhooks\/[^/?]+\?notice=created$/);
    return decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1) ?? "");
  }

  const deliveriesOf = async (id: string) => (await pages.t.services.webhooks.listDeliveries(id, 10)) ?? [];

  // Five axe runs and two real deliveries: about 25 s on a loaded machine, so more than the default 30 s of room.
  it("registers a webhook, shows its secret once, lists its deliveries and retries a failed attempt", {
    timeout: 90_000,
  }, async () => {
    const hooks = await receiver();
    hooks.answerWith(500);
    const { adminId, page } = await adminOnWebhooks();
    await expectAccessible(page);
    const id = await register(page, hooks.url("crm"), ["user.registered"]);

    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "The webhook was registered.",
    );
    const reveal = page.getByRole("region", { name: "Your webhook signing secret" });
    await expect(reveal.textContent()).resolves.toContain("it is shown only this once");
    const secret = (await page.locator("#new-webhook-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
    await expectAccessible(page);
    expect(await actorsOf(id, "webhook.created")).toEqual([adminId]);
    const [stored] = (await pages.t.services.webhooks.listWebhooks()).filter((each) => each.id === id);
    expect(stored).toMatchObject({
      url: hooks.url("crm"),
      events: ["user.registered"],
      description: "CRM sync",
      enabled: true,
    });

    await page.reload();
    await expect(reveal.count()).resolves.toBe(0);
    await expect(page.content()).resolves.not.toContain(secret);

    // An event: the receiver answers 500 at first, so the delivery stays pending for a later attempt.
    hooks.useSecret(secret);
    const userId = await registerUser(pages.t);
    const first = await hooks.next();
    expect(first.verified).toBe(true);
    expect(first.payload).toMatchObject({ type: "user.registered", data: { userId } });
    await expect.poll(async () => (await deliveriesOf(id))[0]?.attempts).toBe(1);

    await page.reload();
    const row = page.getByRole("row").filter({ hasText: "user.registered" });
    await expect(row.textContent()).resolves.toContain("Pending");
    await expect(row.getByRole("cell", { name: "500", exact: true }).count()).resolves.toBe(1);
    await expectAccessible(page);

    hooks.answerWith(204);
    await row.getByRole("button", { name: "Retry" }).click();
    await page.waitForURL(/notice=retried&delivery=[^&]+&attempts=1$/);
    // The worker is woken at once and may finish before this page is rendered: the notice says
    // what is true of the row shown beside it.
    const notice = page.getByRole("status").first();
    const shownDelivered = ((await row.textContent()) ?? "").includes("Delivered");
    await expect(notice.textContent()).resolves.toContain(
      shownDelivered
        ? "The delivery was tried again and delivered."
        : "The delivery will be tried again now.",
    );
    const second = await hooks.next(1);
    expect(second.id).toBe(first.id);
    expect(second.verified).toBe(true);
    await expect.poll(async () => (await deliveriesOf(id))[0]?.status).toBe("delivered");

    await page.reload();
    await expect(notice.textContent()).resolves.toContain("The delivery was tried again and delivered.");
    await expect(notice.textContent()).resolves.not.toContain("will be tried again now");
    await expect(row.textContent()).resolves.toContain("Delivered");
    await expect(row.getByRole("cell", { name: "204", exact: true }).count()).resolves.toBe(1);
    await expect(row.getByRole("button", { name: "Retry" }).count()).resolves.toBe(0);
    await expectAccessible(page);
    await saveScreenshot(page, "admin-webhook-deliveries-light-1280");

    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    const listed = page.getByRole("row").filter({ hasText: hooks.url("crm") });
    await expect(listed.textContent()).resolves.toContain("user.registered");
    await expect(listed.textContent()).resolves.toContain("Yes");
  });

  it("says in words what is wrong with a refused registration, keeping what was typed", async () => {
    const { page } = await adminOnWebhooks();
    const before = (await pages.t.services.webhooks.listWebhooks()).length;
    await page.getByRole("textbox", { name: "URL", exact: true }).fill("ftp://hooks.example.com/x");
    await page.getByRole("textbox", { name: "Description (optional)" }).fill("Kept as typed");
    await page.getByRole("button", { name: "Register webhook" }).click();
    await page.waitForLoadState();

    const alert = await page.getByRole("alert").textContent();
    expect(alert).toContain("The webhook was not saved.");
    expect(alert).toContain("URL: must use https:// (http:// only outside production).");
    expect(alert).toContain("Events: choose at least one, or all events.");
    await expect(page.getByRole("textbox", { name: "URL", exact: true }).inputValue()).resolves.toBe(
      "ftp://hooks.example.com/x",
    );
    await expect(page.getByRole("textbox", { name: "Description (optional)" }).inputValue()).resolves.toBe(
      "Kept as typed",
    );
    await expectAccessible(page);
    expect((await pages.t.services.webhooks.listWebhooks()).length).toBe(before);

    const missing = await page.goto("/admin/webhooks/00000000-0000-4000-8000-000000000000");
    expect(missing?.status()).toBe(404);
  });

  it("shows the section to administrators only", async () => {
    const email = uniqueEmail("webhooks-user");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, roles: ["user"], emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(created.code);
    const { page } = await pages.open();
    await page.goto("/login?redirectTo=%2Faccount");
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/account");
    const refused = await page.goto("/admin/webhooks");
    expect(refused?.status()).toBe(403);
    await expect(page.getByRole("button", { name: "Register webhook" }).count()).resolves.toBe(0);
  });

  it("edits a webhook's events and switches it off, then deletes it after confirming (375 px)", async () => {
    const hooks = await receiver();
    const { adminId, page } = await adminOnWebhooks({ width: 375 });
    const id = await register(page, hooks.url("all"), ["All events, including ones added later (*)"]);
    expect((await pages.t.services.webhooks.listWebhooks()).find((each) => each.id === id)?.events).toEqual([
      "*",
    ]);

    const url = page.getByRole("textbox", { name: "URL", exact: true });
    await url.fill("https://someone:pw@hooks.example.com/x");
    await page.getByRole("checkbox", { name: "All events, including ones added later (*)" }).uncheck();
    await page.getByRole("checkbox", { name: "user.deleted", exact: true }).check();
    await page.getByRole("checkbox", { name: "Enabled: deliveries are posted" }).uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForLoadState();
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "URL: must not contain a user name or password.",
    );
    await expect(url.inputValue()).resolves.toBe("https://someone:pw@hooks.example.com/x");
    await expect(page.getByRole("checkbox", { name: "user.deleted", exact: true }).isChecked()).resolves.toBe(
      true,
    );
    await expect(
      page.getByRole("checkbox", { name: "Enabled: deliveries are posted" }).isChecked(),
    ).resolves.toBe(false);
    await expectAccessible(page);
    expect(await actorsOf(id, "webhook.updated")).toEqual([]);
    // In a 375 px column the long event types wrap, after a `.` or `_`, never inside a word.
    expect(await eventTypesBrokenMidWord(page)).toEqual([]);

    await url.fill(hooks.url("all"));
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/notice=saved$/);
    expect((await pages.t.services.webhooks.listWebhooks()).find((each) => each.id === id)).toMatchObject({
      events: ["user.deleted"],
      enabled: false,
    });
    expect(await actorsOf(id, "webhook.updated")).toEqual([adminId]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    await page.getByRole("link", { name: "Delete this webhook…" }).click();
    await page.waitForURL(/\/delete$/);
    await expectAccessible(page);
    await page.getByRole("button", { name: "Delete webhook" }).click();
    await page.waitForURL(/\/admin\/webhooks\?notice=deleted$/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain(
      "The webhook and its deliveries were deleted.",
    );
    expect((await pages.t.services.webhooks.listWebhooks()).some((each) => each.id === id)).toBe(false);
    expect(await actorsOf(id, "webhook.deleted")).toEqual([adminId]);
  });
});

/** The event types of the form's checklist that the browser wrapped other than after `.` or `_`. */
function eventTypesBrokenMidWord(page: Page): Promise<string[]> {
  return page.$$eval("fieldset.checklist-wide label code", (codes) =>
    codes.flatMap((code) => {
      const lines: string[] = [];
      let line = "";
      let top: number | undefined;
      const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        const text = node.textContent ?? "";
        for (let index = 0; index < text.length; index += 1) {
          const range = document.createRange();
          range.setStart(node, index);
          range.setEnd(node, index + 1);
          const charTop = range.getBoundingClientRect().top;
          if (top !== undefined && Math.abs(charTop - top) > 2) {
            lines.push(line);
            line = "";
          }
          line += text[index];
          top = charTop;
        }
      }
      return lines.filter((ended) => !/[._]$/.test(ended)).map(() => code.textContent ?? "");
    }),
  );
}
