/**
 * The domain knows nothing of the framework (STYLE.md principle 1, ARCHITECTURE.md "Layout"):
 * no file of `src/domain/` imports Fastify, Kysely, ioredis, better-sqlite3, pg,
 * rate-limiter-flexible or nodemailer, nor anything under `src/http/`, `src/store/` or
 * `src/mail/`, nor reads `process.env`, nor writes with `console`. Each file is parsed with the
 * TypeScript compiler, so static, type-only, re-exported, dynamic and `require` imports all count
 * while comments and strings do not. Tests beside the code (`*.test.ts`, `*.test-support.ts`)
 * are not domain code and are not checked.
 *
 * The composition root is imported, never importing back: `src/app.ts` and the feature modules
 * of `src/features/` wire the layers together, so no file of the layers they wire (domain, store,
 * http, mail, ui, config, webhooks, oauth-client) imports them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const DOMAIN = join(SRC, "domain");
const FORBIDDEN_FOLDERS = ["http", "store", "mail"].map((folder) => join(SRC, folder));
const FORBIDDEN_PACKAGES = [
  /^fastify(-[\w-]+)?$/,
  /^@fastify\//,
  /^kysely(-[\w-]+)?$/,
  /^ioredis$/,
  /^better-sqlite3$/,
  /^pg(-[\w-]+)?$/,
  /^rate-limiter-flexible$/,
  /^nodemailer$/,
  /^smtp-server$/,
];

interface Violation {
  file: string;
  line: number;
  problem: string;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function importProblem(file: string, specifier: string): string | null {
  if (specifier.startsWith(".")) {
    const target = resolve(dirname(file), specifier);
    const folder = FORBIDDEN_FOLDERS.find(
      (forbidden) => target === forbidden || target.startsWith(forbidden + sep),
    );
    return folder === undefined ? null : `imports "${specifier}" (under src/${relative(SRC, folder)})`;
  }
  const name = packageName(specifier);
  return FORBIDDEN_PACKAGES.some((pattern) => pattern.test(name)) ? `imports "${specifier}"` : null;
}

/** `process` or `globalThis.process`. */
const isProcess = (node: ts.Node) =>
  (ts.isIdentifier(node) && node.text === "process") ||
  (ts.isPropertyAccessExpression(node) &&
    node.name.text === "process" &&
    node.expression.getText() === "globalThis");

/** `console` or `globalThis.console`. */
const isConsole = (node: ts.Node) =>
  (ts.isIdentifier(node) && node.text === "console") ||
  (ts.isPropertyAccessExpression(node) &&
    node.name.text === "console" &&
    node.expression.getText() === "globalThis");

/** True for `x` in `a.x`, `{ x: 1 }`, `class { x }`, `{ x: y } = …`: a name, not a reference. */
function isMemberName(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isBindingElement(parent)) return parent.propertyName === node;
  const named =
    ts.isPropertyAccessExpression(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent) ||
    ts.isPropertySignature(parent) ||
    ts.isMethodDeclaration(parent) ||
    ts.isMethodSignature(parent) ||
    ts.isGetAccessorDeclaration(parent) ||
    ts.isSetAccessorDeclaration(parent) ||
    ts.isEnumMember(parent);
  return named && parent.name === node;
}

/** Every boundary violation in one source file. */
export function findBoundaryViolations(file: string, text: string): Violation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: Violation[] = [];
  const report = (node: ts.Node, problem: string) =>
    violations.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, problem });
  const checkSpecifier = (node: ts.Node, specifier: ts.Node | undefined) => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier)) return;
    const problem = importProblem(file, specifier.text);
    if (problem !== null) report(node, problem);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      checkSpecifier(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      checkSpecifier(node, node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      checkSpecifier(node, node.argument.literal);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === "require")
      ) {
        checkSpecifier(node, node.arguments[0]);
      }
    } else if (
      ts.isPropertyAccessExpression(node) &&
      node.name.text === "env" &&
      isProcess(node.expression)
    ) {
      report(node, "reads process.env");
    } else if (
      ts.isElementAccessExpression(node) &&
      isProcess(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === "env"
    ) {
      report(node, "reads process.env");
    } else if (
      ts.isVariableDeclaration(node) &&
      ts.isObjectBindingPattern(node.name) &&
      node.initializer !== undefined &&
      isProcess(node.initializer) &&
      node.name.elements.some((element) => (element.propertyName ?? element.name).getText() === "env")
    ) {
      report(node, "reads process.env");
    } else if (isConsole(node) && !isMemberName(node)) {
      report(node, "uses console");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

function sourceFiles(folder: string, extension = /\.ts$/): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path, extension);
    const isTest = /\.test(-support)?\.tsx?$/.test(entry.name);
    return entry.isFile() && extension.test(entry.name) && !isTest ? [path] : [];
  });
}

const COMPOSITION_ROOT = [join(SRC, "app.ts"), join(SRC, "features")];
const COMPOSED_LAYERS = ["domain", "store", "http", "mail", "ui", "config", "webhooks", "oauth-client"];

/** The relative imports of one source file that reach `src/app.ts` or `src/features/`. */
export function findCompositionRootImports(file: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => {
      if (!specifier.startsWith(".")) return false;
      const target = resolve(dirname(file), specifier).replace(/\.js$/, ".ts");
      return COMPOSITION_ROOT.some((root) => target === root || target.startsWith(root + sep));
    });
}

describe("architecture › the domain boundary", () => {
  it("holds for every source file under src/domain", () => {
    const files = sourceFiles(DOMAIN);
    // Guards against a moved folder turning this into a check of nothing.
    expect(files.length).toBeGreaterThan(10);

    const violations = files.flatMap((file) => findBoundaryViolations(file, readFileSync(file, "utf8")));

    const report = violations.map((v) => `${relative(SRC, v.file)}:${v.line} ${v.problem}`);
    expect(
      report,
      `the domain must not depend on frameworks, storage or globals:\n${report.join("\n")}`,
    ).toEqual([]);
  });
});

describe("architecture › the boundary check itself", () => {
  const file = join(DOMAIN, "users", "example.ts");
  const problemsIn = (text: string) => findBoundaryViolations(file, text).map((v) => v.problem);

  it.each([
    ['import Fastify from "fastify";', 'imports "fastify"'],
    ['import fp from "fastify-plugin";', 'imports "fastify-plugin"'],
    ['import cookie from "@fastify/cookie";', 'imports "@fastify/cookie"'],
    ['import type { Kysely } from "kysely";', 'imports "kysely"'],
    ['import { sql } from "kysely/helpers/sqlite";', 'imports "kysely/helpers/sqlite"'],
    ['import Redis from "ioredis";', 'imports "ioredis"'],
    ['import SQLite from "better-sqlite3";', 'imports "better-sqlite3"'],
    ['import pg from "pg";', 'imports "pg"'],
    ['import { RateLimiterMemory } from "rate-limiter-flexible";', 'imports "rate-limiter-flexible"'],
    ['import { createTransport } from "nodemailer";', 'imports "nodemailer"'],
    [
      'import { createMailWorker } from "../../mail/mail-worker.js";',
      'imports "../../mail/mail-worker.js" (under src/mail)',
    ],
    [
      'export * from "../../store/sql/user-repository.js";',
      'imports "../../store/sql/user-repository.js" (under src/store)',
    ],
    [
      'import type { HttpDeps } from "../../http/http-deps.js";',
      'imports "../../http/http-deps.js" (under src/http)',
    ],
    ['const m = await import("ioredis");', 'imports "ioredis"'],
    ['const m = require("pg");', 'imports "pg"'],
    ['type Db = import("kysely").Kysely<unknown>;', 'imports "kysely"'],
    ["const url = process.env.DATABASE_URL;", "reads process.env"],
    ['const url = process["env"].DATABASE_URL;', "reads process.env"],
    ["const { env } = process;", "reads process.env"],
    ["const url = globalThis.process.env.X;", "reads process.env"],
    ['console.log("hello");', "uses console"],
    ["const log = console;", "uses console"],
    ["const sinks = { console };", "uses console"],
  ])("flags %s", (source, problem) => {
    expect(problemsIn(source)).toEqual([problem]);
  });

  it("ignores comments, strings and look-alike names", () => {
    const source = [
      "// The store implements this on `rate-limiter-flexible`; see fastify docs. console.log(process.env)",
      '/** import Fastify from "fastify"; */',
      'const note = "process.env and console.log are fine in a string";',
      'import { createHash } from "node:crypto";',
      'import { normalizeEmail } from "./email.js";',
      'import type { Clock } from "../../domain/clock.js";',
      'import { x } from "../../storefront/x.js";',
      'import { y } from "pgp-lite";',
      "const options = { env: 1, console: 2, process: { env: 3 } };",
      "const env = options.env + options.console + options.process.env;",
      "class Logger { console = 1; get process() { return 2; } }",
    ].join("\n");
    expect(problemsIn(source)).toEqual([]);
  });

  it("names the file and line of each violation", () => {
    expect(findBoundaryViolations(file, '\n\nimport Fastify from "fastify";')).toEqual([
      { file, line: 3, problem: 'imports "fastify"' },
    ]);
  });
});

describe("architecture › the composition root", () => {
  it("is imported by no file of the layers it wires", () => {
    const files = COMPOSED_LAYERS.flatMap((layer) => sourceFiles(join(SRC, layer), /\.tsx?$/));
    expect(files.length).toBeGreaterThan(100);

    const report = files.flatMap((file) =>
      findCompositionRootImports(file, readFileSync(file, "utf8")).map(
        (specifier) => `${relative(SRC, file)} imports "${specifier}"`,
      ),
    );
    expect(
      report,
      `only entry points and features may import the composition root:\n${report.join("\n")}`,
    ).toEqual([]);
  });

  it("recognises an import of app.ts or of a feature module, and nothing else", () => {
    const file = join(SRC, "http", "routes", "example", "example-routes.ts");
    const source = [
      'import type { ResolvedConfig } from "../../../app.js";',
      'export { createAccounts } from "../../../features/accounts-feature.js";',
      'const lazy = await import("../../../features/feature-host.js");',
      'import { sessionsRoutes } from "../sessions/sessions-routes.js";',
      'import { createApp } from "../../../application.js";',
      'import Fastify from "fastify";',
    ].join("\n");
    expect(findCompositionRootImports(file, source)).toEqual([
      "../../../app.js",
      "../../../features/accounts-feature.js",
      "../../../features/feature-host.js",
    ]);
  });
});
