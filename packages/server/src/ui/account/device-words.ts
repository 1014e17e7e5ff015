/**
 * A device and a place in words for the device list and the security events: the browser and
 * operating system from the User-Agent header (parsed by `bowser`, e.g. "Firefox on Linux"), and
 * where an address is. Portcullis ships no GeoIP database, so `describePlace` knows nothing yet;
 * it is the one place a lookup would go, and every caller already copes with "unknown".
 */
import Bowser from "bowser";
import type { Messages } from "../i18n/catalogue.js";

export interface DeviceParts {
  browser: string | null;
  os: string | null;
}

/** Parsed User-Agents: a person's devices and events repeat a few strings, and bowser costs ~30 µs a parse. */
const parsedAgents = new Map<string, DeviceParts>();
const MAX_PARSED_AGENTS = 1_000;

/** The browser and OS names bowser finds in a User-Agent; nulls for what it cannot tell. */
export function parseUserAgent(userAgent: string | null): DeviceParts {
  if (userAgent === null || userAgent.trim() === "") return { browser: null, os: null };
  const known = parsedAgents.get(userAgent);
  if (known !== undefined) return known;
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name?.trim() ?? "";
  const os = parsed.os.name?.trim() ?? "";
  const parts = { browser: browser === "" ? null : browser, os: os === "" ? null : os };
  // Bounded: a flood of distinct agents only ever costs a fresh start.
  if (parsedAgents.size >= MAX_PARSED_AGENTS) parsedAgents.clear();
  parsedAgents.set(userAgent, parts);
  return parts;
}

/**
 * "Firefox on Linux", "Safari", "A device running iOS", or "An unknown browser or app" — in the
 * middle of a sentence (`inSentence`), "a device running iOS".
 * @example deviceInWords(t, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0") // "Firefox on Linux"
 */
export function deviceInWords(t: Messages, userAgent: string | null, inSentence = false): string {
  const { browser, os } = parseUserAgent(userAgent);
  const words = t.account.device;
  if (browser !== null && os !== null) return words.browserOnOs(browser, os);
  if (browser !== null) return browser;
  if (os !== null) return inSentence ? words.osOnlyInSentence(os) : words.osOnly(os);
  return inSentence ? words.unknownInSentence : words.unknown;
}

/**
 * Where an address is, in words ("Berlin, Germany"), or null when unknown — always, until a
 * GeoIP database is configured; callers then show the address itself.
 */
export function describePlace(_ip: string | null): string | null {
  return null;
}
