/**
 * Global setup of every test run: the server's sources transpiled by esbuild (no type check, about
 * a second) into `packages/server/.test-build/`, laid out file for file as `src/` is, so paths a
 * module finds from its own location (the pages' assets, the locales) hold there too. Tests that
 * start the real server or CLI run these files with plain `node` (`test/support/node-process.ts`):
 * a start through the tsx loader costs about two seconds more, every import resolved on the
 * loader's thread, and the suite starts some hundreds of processes.
 */
import { readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import {
  SERVER_PACKAGE_DIR,
  SERVER_TEST_BUILD_DIR,
  SERVER_SOURCE_DIR as SOURCE_DIR,
} from "../packages/server/test/support/node-process.js";

/** What the server runs: no tests, and not the pages' browser code (the page-assets setup bundles that). */
function isServerSource(path: string): boolean {
  if (!/\.tsx?$/.test(path) || /\.test(-support)?\.tsx?$/.test(path)) return false;
  return !relative(SOURCE_DIR, path).startsWith(join("ui", "client"));
}

/** Both test projects name this setup: the second must not delete what the first's tests run. */
const BUILT = Symbol.for("portcullis.test.serverBuild");

export function setup(): Promise<void> {
  const holder = globalThis as { [BUILT]?: Promise<void> };
  holder[BUILT] ??= transpile();
  return holder[BUILT];
}

async function transpile(): Promise<void> {
  const entryPoints = readdirSync(SOURCE_DIR, { recursive: true, encoding: "utf8" })
    .map((file) => join(SOURCE_DIR, file))
    .filter(isServerSource);
  // A source deleted since the last run must not live on here.
  rmSync(SERVER_TEST_BUILD_DIR, { recursive: true, force: true });
  await build({
    entryPoints,
    outbase: SOURCE_DIR,
    outdir: SERVER_TEST_BUILD_DIR,
    platform: "node",
    format: "esm",
    target: "node20",
    // For the pages' JSX (preact); workspace packages resolve by their `exports` at run time.
    tsconfig: join(SERVER_PACKAGE_DIR, "tsconfig.json"),
    logLevel: "warning",
  });
}
