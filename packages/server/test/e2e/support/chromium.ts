/**
 * Debian's Chromium driven by playwright-core (no browser download). Where /usr/bin/chromium is
 * missing the browser suites are skipped with a printed notice; under `CI=true` they fail
 * instead (.ci/run installs it).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.PORTCULLIS_CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser suites can run here; prints why not once, and throws under CI. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") throw new Error(`CI=true but Chromium is not installed at ${CHROMIUM_PATH}`);
  console.warn(
    `\n!! ${CHROMIUM_PATH} not found: the browser (pages) suites are SKIPPED. apt-get install chromium\n`,
  );
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
