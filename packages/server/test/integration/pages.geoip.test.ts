/**
 * With the operator's GeoIP data (PORTCULLIS_GEOIP_CSV), the account page says where each device
 * and security event came from, the country in the reader's language; without it, the address.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

async function accountPage(t: TestApp, language: string): Promise<string> {
  const email = uniqueEmail("geoip");
  expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
  const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
  const page = await t.get("/account", { cookie, "accept-language": language });
  expect(page.statusCode).toBe(200);
  return page.body;
}

describe("pages: places from GeoIP data", () => {
  let dir: string;
  let withData: TestApp;
  let without: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-geoip-"));
    const csv = join(dir, "places.csv");
    // app.inject() comes from 127.0.0.1.
    writeFileSync(csv, "127.0.0.0,127.255.255.255,DE,Berlin,,Berlin\n::1,::1,DE,Berlin,,Berlin\n");
    withData = await createTestApp({ env: { PORTCULLIS_GEOIP_CSV: csv } });
    without = await createTestApp();
  });

  afterAll(async () => {
    await withData.close();
    await without.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the place of the device and of the sign-in event", async () => {
    const html = await accountPage(withData, "en");
    expect(html.match(/Berlin, Germany/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(await accountPage(withData, "de")).toContain("Berlin, Deutschland");
  });

  it("shows the address when no GeoIP data is configured", async () => {
    const html = await accountPage(without, "en");
    expect(html).not.toContain("Germany");
    expect(html).toContain("127.0.0.1");
  });

  it("refuses to start with a malformed file, naming the line", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "127.0.0.0,127.255.255.255,DE\nnonsense\n");
    await expect(createTestApp({ env: { PORTCULLIS_GEOIP_CSV: bad } })).rejects.toThrow(/bad\.csv: line 2/);
  });
});
