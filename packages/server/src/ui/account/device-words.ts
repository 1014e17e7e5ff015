/**
 * A device and a place in words for the device list and the security events: the browser and
 * operating system from the User-Agent header (parsed by `bowser`, e.g. "Firefox on Linux"), and
 * where an address is (from the operator's GeoIP data, PORTCULLIS_GEOIP_CSV).
 */
import Bowser from "bowser";
import type { Place } from "../../domain/places/place-lookup.js";
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
 * Where an address is, in words ("Berlin, Germany"; the country named in the reader's language),
 * or null when the operator's GeoIP data does not know it (callers then show the address).
 */
export function describePlace(locale: string, place: Place | null): string | null {
  if (place === null) return null;
  const country = countryName(locale, place.countryCode);
  return [place.city ?? place.region, country].filter((part) => part !== null && part !== "").join(", ");
}

const regionNames = new Map<string, Intl.DisplayNames>();

function countryName(locale: string, code: string): string {
  let names = regionNames.get(locale);
  if (names === undefined) {
    names = new Intl.DisplayNames([locale], { type: "region", fallback: "code" });
    regionNames.set(locale, names);
  }
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}
