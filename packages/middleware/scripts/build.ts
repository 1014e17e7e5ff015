/**
 * Builds the published package: `tsc` writes the declarations, esbuild the JavaScript, one file
 * per entry point (`.`, `./express`, `./fastify`) plus shared chunks. `@portcullis/token-verifier`
 * (the verification core the Portcullis server runs too) is bundled in from its sources, so that
 * the package depends on `jose` alone at run time; jose and the optional peers stay imports.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const PACKAGE = fileURLToPath(new URL("../", import.meta.url));
const DIST = join(PACKAGE, "dist");
// Built aside and swapped in at the end, so that a running service or bench never finds dist/ half-built.
const STAGING = join(PACKAGE, `dist.building-${process.pid}`);
const CORE = "@portcullis/token-verifier";
/** What the built files may import: the one dependency and the optional peers. */
const EXTERNAL = ["jose", "express", "fastify", "ioredis"];

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compile = (project: string, ...args: string[]) =>
  execFileSync(process.execPath, [tsc, "-p", project, ...args], { stdio: "inherit" });

try {
  // The declarations import the core's types while they are written (never after: checked below).
  compile(join(PACKAGE, "../token-verifier/tsconfig.build.json"));
  compile(join(PACKAGE, "tsconfig.build.json"), "--outDir", STAGING);
  await build({
    absWorkingDir: PACKAGE,
    entryPoints: ["src/index.ts", "src/express.ts", "src/fastify.ts"],
    outdir: STAGING,
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    external: EXTERNAL,
    alias: { [CORE]: join(PACKAGE, "../token-verifier/src/index.ts") },
    logLevel: "warning",
  });

  // A declaration naming the core would not resolve where the package is installed.
  const leaks = readdirSync(STAGING, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".d.ts") && readFileSync(join(STAGING, file), "utf8").includes(CORE))
    .map((file) => `dist/${file}`);
  if (leaks.length > 0) throw new Error(`declarations import ${CORE}: ${leaks.join(", ")}`);
  rmSync(DIST, { recursive: true, force: true });
  renameSync(STAGING, DIST);
} finally {
  rmSync(STAGING, { recursive: true, force: true });
}
