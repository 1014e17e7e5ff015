/**
 * Builds the pages' browser assets: each entry (TypeScript or CSS) is bundled and minified by
 * esbuild into `dist/public/<name>-<hash>.<ext>` with a gzip copy beside it, and
 * `dist/public/manifest.json` maps the entry's name to that file. The server serves only what the
 * manifest names, with a year of caching (the hash changes when the content does).
 *
 * Run by `npm run build` and by the test run's global setup; `node --import tsx scripts/build-page-assets.ts`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const SOURCE = new URL("../src/ui/", import.meta.url);
export const PUBLIC_DIR = fileURLToPath(new URL("../dist/public/", import.meta.url));

/** Entry name → source file (relative to src/ui). The name is what pages ask the manifest for. */
const ENTRIES: Record<string, string> = {
  "sign-in.js": "client/sign-in.ts",
  "account.js": "client/account.ts",
  "password-feedback.js": "client/password-feedback.ts",
  "pages.css": "styles/pages.css",
};

export type AssetManifest = Record<string, string>;

export async function buildPageAssets(outDir = PUBLIC_DIR): Promise<AssetManifest> {
  const result = await build({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, source]) => [
        name.slice(0, -extname(name).length),
        fileURLToPath(new URL(source, SOURCE)),
      ]),
    ),
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome111", "firefox111", "safari16.4"],
    entryNames: "[name]-[hash]",
    write: false,
    outdir: outDir,
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
  });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest: AssetManifest = {};
  for (const file of result.outputFiles) {
    writeFileSync(file.path, file.contents);
    writeFileSync(`${file.path}.gz`, gzipSync(file.contents, { level: 9 }));
    const output = basename(file.path);
    const name = `${output.replace(/-[A-Z0-9]+(\.\w+)$/, "$1")}`;
    manifest[name] = output;
  }
  for (const name of Object.keys(ENTRIES)) {
    if (manifest[name] === undefined) throw new Error(`build-page-assets: no output for ${name}`);
  }
  writeFileSync(`${outDir}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const manifest = await buildPageAssets();
  console.log(`page assets: ${Object.values(manifest).join(", ")}`);
}
