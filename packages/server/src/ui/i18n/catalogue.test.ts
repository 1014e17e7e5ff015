import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROBLEMS } from "../../http/problem.js";
import { loadCatalogue, preferredLanguages } from "./catalogue.js";

/** Every leaf of a catalogue, as `path → kind` (strings and functions), to compare locales' shapes. */
function leaves(value: unknown, path = ""): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof value === "string" || typeof value === "function") {
    found.set(path, typeof value);
    return found;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    for (const [leaf, kind] of leaves(child, `${path}/${key}`)) found.set(leaf, kind);
  }
  return found;
}

describe("message catalogues", () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it("loads English and at least one other complete locale, with the same messages", async () => {
    const catalogue = await loadCatalogue();
    const codes = catalogue.locales.map((locale) => locale.code);
    expect(codes).toContain("en");
    expect(codes.length).toBeGreaterThanOrEqual(2);
    const english = leaves(catalogue.fallback.messages);
    for (const locale of catalogue.locales) {
      expect([...leaves(locale.messages)].sort(), locale.code).toEqual([...english].sort());
      for (const [path, kind] of leaves(locale.messages)) {
        if (kind === "string" && path !== "/meta/code") {
          const text = path
            .split("/")
            .reduce<unknown>(
              (node, key) => (key === "" ? node : (node as Record<string, unknown>)[key]),
              locale.messages,
            );
          expect(String(text).trim(), `${locale.code} ${path}`).not.toBe("");
        }
      }
    }
  });

  it("has words for every error code the API can answer, in every locale", async () => {
    const catalogue = await loadCatalogue();
    for (const locale of catalogue.locales) {
      for (const code of Object.keys(PROBLEMS)) {
        const words = locale.messages.errors[code as keyof typeof PROBLEMS];
        expect(words, `${locale.code}: ${code}`).toMatch(/\s/);
        expect(words).not.toContain(code);
      }
    }
  });

  it("chooses the switcher's choice, then Accept-Language by weight, then English", async () => {
    const catalogue = await loadCatalogue();
    expect(catalogue.negotiate("de", "en").code).toBe("de");
    expect(catalogue.negotiate("xx", "de-CH, en;q=0.5").code).toBe("de");
    expect(catalogue.negotiate(undefined, "fr;q=0.9, en;q=0.8, de;q=0.95").code).toBe("de");
    expect(catalogue.negotiate(undefined, "de;q=0, en").code).toBe("en");
    expect(catalogue.negotiate(undefined, "ja").code).toBe("en");
    expect(catalogue.negotiate(undefined, undefined).code).toBe("en");
  });

  it("parses Accept-Language strictly and ignores junk", () => {
    expect(preferredLanguages("de-CH, de;q=0.9, en;q=0.8, *;q=0.1")).toEqual(["de-CH", "de", "en"]);
    expect(preferredLanguages("<script>, en")).toEqual(["en"]);
    expect(preferredLanguages("x".repeat(600))).toEqual([]);
  });

  it("applies an operator's message overrides and refuses unknown or non-text ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-messages-"));
    folders.push(dir);
    mkdirSync(join(dir, "messages"));
    writeFileSync(join(dir, "messages", "en.json"), JSON.stringify({ signIn: { submit: "Log in" } }));
    const catalogue = await loadCatalogue(dir);
    expect(catalogue.fallback.messages.signIn.submit).toBe("Log in");
    expect(catalogue.find("de")?.messages.signIn.submit).toBe("Anmelden");

    writeFileSync(join(dir, "messages", "en.json"), JSON.stringify({ signIn: { nope: "x" } }));
    await expect(loadCatalogue(dir)).rejects.toThrow(/unknown message \/signIn\/nope/);
    writeFileSync(join(dir, "messages", "en.json"), JSON.stringify({ signIn: { heading: "x" } }));
    await expect(loadCatalogue(dir)).rejects.toThrow(/not a plain message/);
    writeFileSync(join(dir, "messages", "en.json"), "{");
    await expect(loadCatalogue(dir)).rejects.toThrow(/not valid JSON/);
  });
});
