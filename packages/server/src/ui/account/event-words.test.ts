/**
 * Security events in words: every type docs/events.md lists has a sentence of its own in every
 * locale (never the generic one), a sign-in names the browser and system, and a type this version
 * does not know gets the generic sentence naming it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import de from "../i18n/locales/de.js";
import en from "../i18n/locales/en.js";
import { describePlace, deviceInWords } from "./device-words.js";
import { eventInWords } from "./event-words.js";

const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

const event = (type: string, details: Record<string, unknown> = {}): AuditEventView => ({
  id: "e1",
  position: 1,
  type,
  userId: "u1",
  actorId: "u1",
  ip: "192.0.2.1",
  userAgent: FIREFOX_LINUX,
  details,
  at: Date.UTC(2030, 0, 31),
});

/** The `type` column of docs/events.md's table. */
function documentedTypes(): string[] {
  const doc = readFileSync(new URL("../../../../../docs/events.md", import.meta.url), "utf8");
  return [...doc.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((match) => match[1] ?? "");
}

describe("eventInWords", () => {
  it("has a sentence of its own for every documented type, in every locale", () => {
    const types = documentedTypes();
    expect(types.length).toBeGreaterThan(25);
    for (const t of [en, de]) {
      for (const type of types) {
        const sentence = eventInWords(
          t,
          event(type, { provider: "github", name: "Laptop", to: "a@example.com" }),
        );
        expect(sentence, type).not.toBe(t.account.events.other(type));
        expect(sentence, type).not.toContain(type);
      }
    }
  });

  it("names the browser and system of a sign-in", () => {
    expect(eventInWords(en, event("login.succeeded"))).toBe("New sign-in from Firefox on Linux");
    expect(eventInWords(de, event("login.succeeded"))).toBe("Neue Anmeldung von Firefox unter Linux");
    expect(eventInWords(en, { ...event("login.failed"), userAgent: null })).toBe(
      "Failed sign-in attempt from an unknown browser or app",
    );
  });

  it("says why a session ended, and what changed", () => {
    expect(eventInWords(en, event("session.revoked", { reason: "logout_all" }))).toBe(
      "Signed out everywhere",
    );
    expect(eventInWords(en, event("session.revoked", { reason: "something_new" }))).toBe("A sign-in ended");
    expect(eventInWords(en, event("password.changed", { firstPassword: true }))).toBe("Password set");
    expect(eventInWords(en, event("identity.linked", { provider: "github" }))).toBe(
      "GitHub account connected",
    );
    expect(eventInWords(en, event("api_key.created", { name: "Deploy" }))).toBe("API key “Deploy” created");
  });

  it("gives a type it does not know the generic sentence", () => {
    expect(eventInWords(en, event("quantum.entangled"))).toBe("Security event (quantum.entangled)");
    expect(eventInWords(en, event("toString"))).toBe("Security event (toString)");
  });
});

describe("deviceInWords and describePlace", () => {
  it("says the browser and system, or what it can tell", () => {
    expect(deviceInWords(en, FIREFOX_LINUX)).toBe("Firefox on Linux");
    expect(deviceInWords(en, "curl/8.5.0")).toBe("An unknown browser or app");
    expect(deviceInWords(en, null)).toBe("An unknown browser or app");
  });

  it("says where an address is, the country in the reader's language, or nothing when unknown", () => {
    expect(describePlace("en", { countryCode: "DE", region: "Berlin", city: "Berlin" })).toBe(
      "Berlin, Germany",
    );
    expect(describePlace("de", { countryCode: "DE", region: "Bayern", city: null })).toBe(
      "Bayern, Deutschland",
    );
    expect(describePlace("en", { countryCode: "FR", region: null, city: null })).toBe("France");
    expect(describePlace("en", null)).toBeNull();
  });
});
