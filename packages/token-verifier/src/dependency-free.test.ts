/**
 * Invariant: the verification core imports nothing but Node.js built-ins and its own modules, so
 * that `@portcullis/middleware` can bundle it and still depend on `jose` alone, and the server
 * gains no dependency by using it. Each source file is parsed with the TypeScript compiler, so
 * static, type-only, re-exported and dynamic imports all count, comments and strings do not.
 * Tests and their support files are not shipped and are not checked.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every module specifier a source file names that is neither `node:` nor relative. */
function foreignImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    let specifier: ts.Node | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      specifier = node.argument.literal;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      specifier = node.arguments[0];
    else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "require"
    )
      specifier = node.arguments[0];
    if (specifier !== undefined) {
      const name = ts.isStringLiteralLike(specifier) ? specifier.text : specifier.getText();
      if (!name.startsWith("node:") && !name.startsWith("./")) found.push(name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("token-verifier › dependency-free", () => {
  it("imports only node: built-ins and its own modules", () => {
    const files = readdirSync(SRC).filter(
      (name) => name.endsWith(".ts") && !/\.test(-support)?\.ts$/.test(name),
    );
    // Guards against a moved folder turning this into a check of nothing.
    expect(files).toContain("access-token-check.ts");
    const report = files.flatMap((name) =>
      foreignImports(name, readFileSync(join(SRC, name), "utf8")).map((specifier) => `${name}: ${specifier}`),
    );
    expect(report).toEqual([]);
  });

  it("would notice a package import, a dynamic one, a require and a parent folder", () => {
    const text = [
      'import { jwtVerify } from "jose";',
      'export * from "../../middleware/src/types.js";',
      'const m = await import("ioredis");',
      'const c = require("crypto");',
      '// import x from "comment-only";',
      'import { verify } from "node:crypto";',
      'import { own } from "./own.js";',
    ].join("\n");
    expect(foreignImports("x.ts", text)).toEqual([
      "jose",
      "../../middleware/src/types.js",
      "ioredis",
      "crypto",
    ]);
  });
});
