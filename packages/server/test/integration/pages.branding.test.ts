/**
 * Branding and the pages' frame: the product name, logo, colour and an operator's overrides come
 * from configuration; every asset is served from this origin with a content hash and a year of
 * caching (gzip when the browser takes it); the locale follows Accept-Language and the switcher.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app.js";

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#0f766e"/></svg>';

const FOOTER_HTML =
  '<a href="https://acme.example/terms">Terms</a> <a href="mailto:help@acme.example">Help</a>';

describe("pages: branding, assets and locale", () => {
  let t: TestApp;
  let overrides: string;

  beforeAll(async () => {
    overrides = mkdtempSync(join(tmpdir(), "portcullis-ui-"));
    mkdirSync(join(overrides, "messages"));
    writeFileSync(join(overrides, "custom.css"), ".brand{letter-spacing:0.1em}");
    writeFileSync(
      join(overrides, "messages", "de.json"),
      JSON.stringify({ signIn: { submit: "Einloggen" } }),
    );
    writeFileSync(join(overrides, "logo.svg"), LOGO_SVG);
    mkdirSync(join(overrides, "templates"));
    writeFileSync(join(overrides, "templates", "footer.html"), FOOTER_HTML);
    t = await createTestApp({
      env: {
        PORTCULLIS_BRAND_NAME: "Acme ID",
        PORTCULLIS_BRAND_COLOR: "#0F766E",
        PORTCULLIS_BRAND_LOGO: join(overrides, "logo.svg"),
        PORTCULLIS_UI_OVERRIDES: overrides,
      },
    });
  });

  afterAll(async () => {
    await t.close();
    rmSync(overrides, { recursive: true, force: true });
  });

  const assetLinks = (html: string) =>
    [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? "");

  it("names the product, links the theme, the operator's CSS and the logo from this origin only", async () => {
    const page = await t.get("/login");
    expect(page.statusCode).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.body).toContain("<title>Sign in · Acme ID</title>");
    expect(page.body).toContain("Sign in to Acme ID");
    const links = assetLinks(page.body);
    expect(links.some((link) => /^\/assets\/theme-[\w-]{10}\.css$/.test(link))).toBe(true);
    expect(links.some((link) => /^\/assets\/custom-[\w-]{10}\.css$/.test(link))).toBe(true);
    expect(links.some((link) => /^\/assets\/logo-[\w-]{10}\.svg$/.test(link))).toBe(true);
    // Nothing the page loads comes from elsewhere (the operator's footer may link elsewhere).
    expect(page.body).not.toMatch(/(?:<link[^>]*\shref|\ssrc)="(?:https?:)?\/\//);

    const theme = await t.get(links.find((link) => link.includes("/theme-")) ?? "");
    expect(theme.body).toContain("--brand-light:#0f766e");
    const custom = await t.get(links.find((link) => link.includes("/custom-")) ?? "");
    expect(custom.headers["content-type"]).toMatch(/^text\/css/);
    expect(custom.body).toBe(".brand{letter-spacing:0.1em}");
    // The operator's CSS comes after the built-in styles, so its rules win at equal specificity.
    const order = links.filter((link) => link.endsWith(".css"));
    expect(order.findIndex((link) => link.includes("/custom-"))).toBe(order.length - 1);
    const logo = await t.get(links.find((link) => link.includes("/logo-")) ?? "");
    expect(logo.headers["content-type"]).toBe("image/svg+xml");
    expect(logo.body).toBe(LOGO_SVG);
  });

  it("puts the operator's footer markup on every page, inside the footer", async () => {
    for (const path of ["/login", "/register", "/forgot-password"]) {
      const page = await t.get(path);
      expect(page.statusCode).toBe(200);
      const footer = /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(page.body)?.[1] ?? "";
      expect(footer).toContain(`<div class="operator-footer">${FOOTER_HTML}</div>`);
    }
  });

  it("serves assets with a year of immutable caching, gzip when accepted, and nothing it does not list", async () => {
    const page = await t.get("/login");
    const script = assetLinks(page.body).find((link) => link.endsWith(".js")) ?? "";
    const plain = await t.get(script);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.headers["content-type"]).toMatch(/^text\/javascript/);
    const gzipped = await t.app.inject({
      method: "GET",
      url: script,
      headers: { "accept-encoding": "gzip, br" },
    });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(plain.body);
    for (const probe of [
      "/assets/manifest.json",
      "/assets/..%2fmanifest.json",
      "/assets/%2e%2e%2fpackage.json",
    ]) {
      expect((await t.get(probe)).statusCode, probe).toBe(404);
    }
  });

  it("speaks the browser's language, applies the operator's message overrides, and remembers the switcher", async () => {
    const german = await t.get("/login", { "accept-language": "de-DE,de;q=0.9,en;q=0.5" });
    expect(german.body).toContain('<html lang="de">');
    expect(german.headers["content-language"]).toBe("de");
    expect(german.body).toContain(">Einloggen</button>");

    const page = await t.get("/login");
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
    const formCookie = String(page.headers["set-cookie"]).split(";")[0] ?? "";
    const switched = await t.app.inject({
      method: "POST",
      url: "/language",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
      payload: new URLSearchParams({ _csrf: token, lang: "de", return: "/forgot-password" }).toString(),
    });
    expect(switched.statusCode).toBe(303);
    expect(switched.headers.location).toBe("/forgot-password");
    const langCookie = String(switched.headers["set-cookie"]).split(";")[0] ?? "";
    expect(langCookie).toBe("pc_lang=de");
    const after = await t.get("/login", { cookie: langCookie, "accept-language": "en" });
    expect(after.body).toContain('<html lang="de">');
  });

  it("never sends the switcher to another site", async () => {
    const page = await t.get("/login");
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
    const formCookie = String(page.headers["set-cookie"]).split(";")[0] ?? "";
    for (const back of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const switched = await t.app.inject({
        method: "POST",
        url: "/language",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
        payload: new URLSearchParams({ _csrf: token, lang: "en", return: back }).toString(),
      });
      expect(switched.headers.location, back).toBe("/login");
    }
  });

  it("answers a malformed or oversized form with a page in words, never a 500", async () => {
    const big = await t.app.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `email=${"a".repeat(20_000)}`,
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers["content-type"]).toMatch(/^text\/html/);
    expect(big.body).toContain('role="alert"');
    const other = await t.app.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "text/plain" },
      payload: "email=a",
    });
    expect(other.statusCode).toBe(415);
    expect(other.headers["content-type"]).toMatch(/^text\/html/);
  });
});

describe("pages: a logo given as a data URL", () => {
  const logo = `data:image/svg+xml;base64,${Buffer.from(LOGO_SVG).toString("base64")}`;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_BRAND_LOGO: logo } });
  });
  afterAll(async () => t?.close());

  it("puts the data URL in the page as it is, and the content security policy admits it", async () => {
    const page = await t.get("/login");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<img src="${logo}"`);
    expect(page.body).not.toMatch(/\/assets\/logo-/);
    expect(page.headers["content-security-policy"]).toMatch(/img-src 'self' data:/);
  });
});
