/**
 * The operator's own markup for the frame of every page: `templates/header.html` (after the
 * product name in the header) and `templates/footer.html` (above the language switcher) in the
 * overrides folder — links to terms, an imprint, a support address. They are static: nothing of a
 * request or a person is put into them, so there is nothing to escape; the operator's markup is
 * trusted as their configuration is. What the pages' content security policy would silently block
 * (scripts, inline styles and handlers) or what would break the page (forms without a CSRF token,
 * frames) is refused at start, with the file named, so a mistake is seen at once.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface OperatorFragments {
  readonly header: string | undefined;
  readonly footer: string | undefined;
}

const FRAGMENT_FILES = ["header.html", "footer.html"] as const;
const MAX_FRAGMENT_BYTES = 32 * 1024;

const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/<\s*(script|style|link|meta|base|iframe|frame|object|embed|form)\b/i, "a <$1> element"],
  [/\son[a-z]+\s*=/i, "an inline event handler (on…=)"],
  [/\sstyle\s*=/i, "an inline style attribute (the pages' CSP allows only stylesheets; use custom.css)"],
  [/javascript\s*:/i, "a javascript: URL"],
];

export function loadOperatorFragments(overridesDir: string | undefined): OperatorFragments {
  if (overridesDir === undefined) return { header: undefined, footer: undefined };
  const dir = join(overridesDir, "templates");
  if (!existsSync(dir)) return { header: undefined, footer: undefined };
  for (const name of readdirSync(dir)) {
    if (!(FRAGMENT_FILES as readonly string[]).includes(name)) {
      throw new Error(
        `${join(dir, name)}: not a known template (the folder may hold ${FRAGMENT_FILES.join(" and ")})`,
      );
    }
  }
  return { header: readFragment(join(dir, "header.html")), footer: readFragment(join(dir, "footer.html")) };
}

function readFragment(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const markup = readFileSync(file, "utf8");
  if (Buffer.byteLength(markup) > MAX_FRAGMENT_BYTES) {
    throw new Error(`${file}: larger than ${MAX_FRAGMENT_BYTES / 1024} KiB`);
  }
  for (const [pattern, what] of REFUSED) {
    const found = pattern.exec(markup);
    if (found !== null) {
      throw new Error(
        `${file}: holds ${what.replace("$1", (found[1] ?? "").toLowerCase())}, which the pages refuse`,
      );
    }
  }
  return markup.trim() === "" ? undefined : markup;
}
