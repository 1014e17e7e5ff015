/**
 * The theme stylesheet from the branding colour. Text on the colour is black or white, whichever
 * has the higher WCAG contrast; the dark theme uses the colour mixed towards white until that
 * text reaches 4.5:1 on it (WCAG 2.2 1.4.3).
 */

type Rgb = [number, number, number];

function parseHex(hex: string): Rgb {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

const toHex = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;

/** WCAG 2.2 relative luminance. */
export function luminance([r, g, b]: Rgb): number {
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const DARK_TEXT: Rgb = [11, 16, 32];

const textOn = (background: Rgb): Rgb =>
  contrastRatio(background, WHITE) >= contrastRatio(background, BLACK) ? WHITE : BLACK;

const mix = (a: Rgb, b: Rgb, share: number): Rgb => a.map((c, i) => c + (b[i]! - c) * share) as Rgb;

export function brandTheme(primaryHex: string): string {
  const brand = parseHex(primaryHex);
  let dark = brand;
  for (let share = 0; share <= 1 && contrastRatio(dark, DARK_TEXT) < 7; share += 0.05) {
    dark = mix(brand, WHITE, share);
  }
  return (
    `:root{--brand-light:${toHex(brand)};--on-brand-light:${toHex(textOn(brand))};` +
    `--brand-dark:${toHex(dark)};--on-brand-dark:${toHex(DARK_TEXT)}}\n`
  );
}
