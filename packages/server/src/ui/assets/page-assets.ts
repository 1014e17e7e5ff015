/**
 * The pages' static files, all served from this origin under `/assets/` with a content hash in
 * their names and a year of caching: the bundles of `scripts/build-page-assets.ts` (listed in
 * `dist/public/manifest.json`), a theme stylesheet generated from the branding colour, the
 * operator's `custom.css`, and the logo file. Only names listed here are served: there is no
 * path to traverse.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import type { UiSettings } from "../../config/config.js";
import { brandTheme } from "./brand-theme.js";
import { loadOperatorFragments, type OperatorFragments } from "./operator-fragments.js";

/** From src/ui/assets and from dist/ui/assets alike: the package's dist/public. */
const PUBLIC_DIR = fileURLToPath(new URL("../../../dist/public/", import.meta.url));
const YEAR_SECONDS = 365 * 24 * 3600;

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
};

interface ServedFile {
  body: Buffer;
  gzipped: Buffer | null;
  contentType: string;
}

export interface PageAssets {
  /** URL of a built bundle by its entry name (`sign-in.js`, `pages.css`). */
  url(name: "sign-in.js" | "account.js" | "password-feedback.js" | "pages.css"): string;
  /** The stylesheets every page links, in order: built styles, theme, the operator's custom.css. */
  readonly stylesheets: readonly string[];
  readonly logoUrl: string | undefined;
  /** The operator's header and footer markup (`templates/` in the overrides folder). */
  readonly fragments: OperatorFragments;
  /** Bytes of a served file as sent to a browser that accepts gzip (for the weight budget). */
  transferSize(url: string): number;
  /** Adds `GET /assets/:file`. */
  register(app: FastifyInstance): void;
}

export function loadPageAssets(ui: UiSettings, publicDir = PUBLIC_DIR): PageAssets {
  const manifestFile = join(publicDir, "manifest.json");
  if (!existsSync(manifestFile)) {
    throw new Error(
      `The pages' assets are not built (${manifestFile} is missing): run \`npm run build\` (or \`npm run build -w portcullis\`).`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Record<string, string>;
  const served = new Map<string, ServedFile>();

  const serve = (name: string, body: Buffer, gzipped: Buffer | null) => {
    served.set(name, {
      body,
      gzipped,
      contentType: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
    });
    return `/assets/${name}`;
  };
  const hashed = (stem: string, extension: string, body: Buffer) =>
    `${stem}-${createHash("sha256").update(body).digest("base64url").slice(0, 10)}${extension}`;

  const urls = new Map<string, string>();
  for (const [entry, file] of Object.entries(manifest)) {
    const body = readFileSync(join(publicDir, file));
    const gzFile = join(publicDir, `${file}.gz`);
    urls.set(entry, serve(file, body, existsSync(gzFile) ? readFileSync(gzFile) : null));
  }

  const theme = Buffer.from(brandTheme(ui.primaryColor));
  const stylesheets = [
    urls.get("pages.css") ?? "",
    serve(hashed("theme", ".css", theme), theme, gzipSync(theme)),
  ];
  if (ui.overridesDir !== undefined) {
    const customFile = join(ui.overridesDir, "custom.css");
    if (existsSync(customFile)) {
      const custom = readFileSync(customFile);
      stylesheets.push(serve(hashed("custom", ".css", custom), custom, gzipSync(custom)));
    }
  }

  let logoUrl: string | undefined;
  if (ui.logo?.startsWith("data:")) logoUrl = ui.logo;
  else if (ui.logo !== undefined) {
    if (!existsSync(ui.logo)) throw new Error(`PORTCULLIS_BRAND_LOGO: no such file: ${ui.logo}`);
    const logo = readFileSync(ui.logo);
    const extension = extname(ui.logo).toLowerCase();
    logoUrl = serve(hashed("logo", extension, logo), logo, extension === ".svg" ? gzipSync(logo) : null);
  }

  return {
    url(name) {
      const url = urls.get(name);
      if (url === undefined) throw new Error(`page asset ${name} is not in the manifest; rebuild the assets`);
      return url;
    },
    stylesheets,
    logoUrl,
    fragments: loadOperatorFragments(ui.overridesDir),
    transferSize(url) {
      const file = served.get(url.replace(/^\/assets\//, ""));
      return file === undefined ? 0 : (file.gzipped ?? file.body).length;
    },
    register(app) {
      app.get("/assets/:file", { schema: { hide: true } }, async (request, reply) => {
        const { file } = request.params as { file: string };
        const found = served.get(file);
        if (found === undefined) return reply.code(404).type("text/plain; charset=utf-8").send("Not found");
        reply
          .header("cache-control", `public, max-age=${YEAR_SECONDS}, immutable`)
          .header("vary", "accept-encoding")
          .type(found.contentType);
        const acceptsGzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
        if (found.gzipped !== null && acceptsGzip) {
          return reply.header("content-encoding", "gzip").send(found.gzipped);
        }
        return reply.send(found.body);
      });
    },
  };
}
