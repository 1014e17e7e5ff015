import { describe, expect, it } from "vitest";
import { brandTheme, contrastRatio } from "./brand-theme.js";

const hex = (value: string) =>
  [1, 3, 5].map((i) => Number.parseInt(value.slice(i, i + 2), 16)) as [number, number, number];

function themeColours(css: string): Record<string, [number, number, number]> {
  return Object.fromEntries(
    [...css.matchAll(/--([a-z-]+):(#[0-9a-f]{6})/g)].map(([, name = "", value = ""]) => [name, hex(value)]),
  );
}

describe("brandTheme", () => {
  it.each(["#2f4fc9", "#ffcc00", "#000000", "#ffffff", "#e11d48", "#0f766e"])(
    "keeps text on %s at WCAG AA contrast in light and dark",
    (colour) => {
      const c = themeColours(brandTheme(colour));
      expect(contrastRatio(c["brand-light"]!, c["on-brand-light"]!)).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(c["brand-dark"]!, c["on-brand-dark"]!)).toBeGreaterThanOrEqual(4.5);
    },
  );

  it("uses the configured colour itself in the light theme", () => {
    expect(brandTheme("#2f4fc9")).toContain("--brand-light:#2f4fc9");
  });
});
