import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadOperatorFragments } from "./operator-fragments.js";

describe("the operator's header and footer markup", () => {
  let dir: string;
  const withTemplates = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-fragments-"));
    mkdirSync(join(dir, "templates"));
    for (const [name, markup] of Object.entries(files)) writeFileSync(join(dir, "templates", name), markup);
    return dir;
  };
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads header.html and footer.html, and nothing when there is no templates folder", () => {
    expect(loadOperatorFragments(undefined)).toEqual({ header: undefined, footer: undefined });
    const found = loadOperatorFragments(
      withTemplates({ "header.html": '<a href="/help">Help</a>', "footer.html": " \n" }),
    );
    expect(found).toEqual({ header: '<a href="/help">Help</a>', footer: undefined });
  });

  it.each([
    ["<script>alert(1)</script>", "a <script> element"],
    ['<SCRIPT src="/x.js"></SCRIPT>', "a <script> element"],
    ['<form action="/logout"><button>Out</button></form>', "a <form> element"],
    ['<img src="x" onerror="alert(1)">', "an inline event handler"],
    ['<p style="color:red">Hi</p>', "an inline style attribute"],
    ['<a href="javascript:alert(1)">x</a>', "a javascript: URL"],
  ])("refuses %s at start, naming the file", (markup, what) => {
    const folder = withTemplates({ "footer.html": markup });
    expect(() => loadOperatorFragments(folder)).toThrow(join(folder, "templates", "footer.html"));
    expect(() => loadOperatorFragments(folder)).toThrow(what);
  });

  it("names an unknown file (a typo) instead of ignoring it", () => {
    const folder = withTemplates({ "fotter.html": "<p>Hi</p>" });
    expect(() => loadOperatorFragments(folder)).toThrow(/fotter\.html: not a known template/);
  });

  it("refuses markup over 32 KiB", () => {
    const folder = withTemplates({ "header.html": `<p>${"x".repeat(33 * 1024)}</p>` });
    expect(() => loadOperatorFragments(folder)).toThrow(/larger than 32 KiB/);
  });
});
