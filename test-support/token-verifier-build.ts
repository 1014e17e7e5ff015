/**
 * Global setup of every test run: compiles `@portcullis/token-verifier`. Tests import workspace
 * sources through aliases, but the server processes they start (tsx) resolve the package by its
 * `exports`, its dist/, which a fresh clone does not have before `npm run build`.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export function setup(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("../packages/token-verifier/tsconfig.build.json", import.meta.url));
  execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit" });
}
