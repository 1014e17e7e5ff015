/**
 * Every command and snippet the docs mark as runnable (```sh runnable, ```ts runnable — see
 * docs/README.md) runs, as written, against a real server started from `src/main.ts`: a doc that
 * drifts from the server fails here. One server serves every document; each document gets a fresh
 * signed-in user and an administrator's token, and its blocks run in order, sharing exported
 * variables, in a working folder of its own. `sh` blocks run in bash with `set -eo pipefail` and a
 * curl that fails on an HTTP error status (`--fail-with-body`, from a `.curlrc`), with
 * `npm run cli -- …` running the CLI from its sources; `ts` blocks run with tsx, with
 * `@portcullis/middleware` resolved to its sources.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractRunnableSnippets, type RunnableSnippet } from "../support/markdown-snippets.js";
import {
  CLI_ENTRY,
  cleanEnv,
  findFreePort,
  type NodeProcess,
  SERVER_ENTRY,
  SERVER_PACKAGE_DIR,
  spawnTypeScript,
} from "../support/node-process.js";
import {
  createPostgresSchema,
  REDIS_TEST_URL,
  TEST_STORE,
  uniqueRedisPrefix,
} from "../support/test-stores.js";

const REPOSITORY = resolve(SERVER_PACKAGE_DIR, "../..");
const MIDDLEWARE_SOURCE = join(REPOSITORY, "packages/middleware/src");
const SERVER_TSCONFIG = join(SERVER_PACKAGE_DIR, "tsconfig.json");
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

// Bounds, not expectations: on a quiet machine a CLI call takes a second or two, but the 2 shared
// cores here are often loaded many times over.
const START_TIMEOUT_MS = 120_000;
const SNIPPET_TIMEOUT_MS = 120_000;
const ADMIN_EMAIL = "docs-admin@example.com";
const PASSWORD = "violet-Umbrella-73-quarry";
const SECRET = "docs-snippets-secret-0123456789-abcdefghijklmnop";

const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(REPOSITORY, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

const documents = DOCUMENTS.map((file) => ({
  file,
  snippets: extractRunnableSnippets(readFileSync(join(REPOSITORY, file), "utf8"), file),
})).filter((document) => document.snippets.length > 0);

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with exactly `env`, stdin closed; killed after `timeoutMs`. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<Finished> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      rejectRun(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

const describeRun = (snippet: RunnableSnippet, result: Finished) =>
  `${snippet.file}:${snippet.line} (${snippet.language}) exited ${result.code ?? result.signal}\n` +
  `--- snippet ---\n${snippet.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;

/**
 * The CLI bundled once from its sources (what `npm run cli` compiles with tsc first): a bundle
 * starts in half the time of tsx, which counts with a CLI call in many snippets.
 */
async function bundleCli(outfile: string): Promise<void> {
  await build({
    entryPoints: [CLI_ENTRY],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    // Its paths map workspace packages to their sources.
    tsconfig: SERVER_TSCONFIG,
    outfile,
    logLevel: "warning",
  });
}

/** `npm run [-s] cli -- …` runs the bundled CLI; any other npm command fails the snippet. */
function writeNpmShim(folder: string, cli: string): void {
  const script = `#!/usr/bin/env bash
# The docs test's npm: only \`npm run [-s|--silent] cli [--] …\`.
if [ "$1" = run ]; then
  shift
  if [ "$1" = -s ] || [ "$1" = --silent ]; then shift; fi
  if [ "$1" = cli ]; then
    shift
    if [ "$1" = -- ]; then shift; fi
    exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"
  fi
fi
echo "docs snippets: only 'npm run cli -- …' runs here, not 'npm $*'" >&2
exit 127
`;
  writeFileSync(join(folder, "npm"), script);
  chmodSync(join(folder, "npm"), 0o755);
}

/** tsx compiles `ts` snippets with this, so `@portcullis/middleware` means its current sources. */
function writeSnippetTsconfig(folder: string): string {
  const path = join(folder, "tsconfig.json");
  const compilerOptions = {
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2022",
    strict: true,
    paths: {
      "@portcullis/middleware": [join(MIDDLEWARE_SOURCE, "index.ts")],
      "@portcullis/middleware/*": [join(MIDDLEWARE_SOURCE, "*.ts")],
    },
  };
  writeFileSync(path, JSON.stringify({ compilerOptions }, null, 2));
  return path;
}

let root: string;
/** Inside the repository (a gitignored folder), so `ts` snippets resolve its node_modules. */
let tsRoot: string;
let server: NodeProcess | undefined;
let baseUrl: string;
let serverEnv: Record<string, string>;
let shimFolder: string;
let curlHome: string;
let tsconfigPath: string;

async function signIn(email: string, password = PASSWORD): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as { accessToken: string };
  return body.accessToken;
}

async function register(email: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

describe("docs › structure", () => {
  it("keeps the README a front door, under 250 lines, the rest in docs/", () => {
    const lines = readFileSync(join(REPOSITORY, "README.md"), "utf8").split("\n").length;
    expect(lines).toBeLessThan(250);
  });

  it("lists every guide in docs/ in the index, docs/README.md", () => {
    const index = readFileSync(join(REPOSITORY, "docs/README.md"), "utf8");
    const guides = DOCUMENTS.filter((file) => file.startsWith("docs/") && file !== "docs/README.md");
    const unlisted = guides.filter((file) => !index.includes(`](${basename(file)})`));
    expect(unlisted).toEqual([]);
  });
});

describe("runnable snippets › finding them", () => {
  it("takes the sh and ts blocks marked runnable, indented ones too, and nothing else", () => {
    const markdown = [
      "```sh runnable",
      "curl -s localhost:3000/healthz",
      "```",
      "```sh",
      "docker compose up",
      "```",
      "- in a list:",
      "  ```ts runnable",
      "  const answer = 42;",
      "    console.log(answer);",
      "  ```",
      "````md",
      "```sh runnable",
      "inside another block: not a snippet",
      "```",
      "````",
      "```js runnable",
      "not a language the test runs",
      "```",
    ].join("\n");

    expect(extractRunnableSnippets(markdown, "example.md")).toEqual([
      { file: "example.md", line: 1, language: "sh", code: "curl -s localhost:3000/healthz" },
      { file: "example.md", line: 8, language: "ts", code: "const answer = 42;\n  console.log(answer);" },
    ]);
  });

  it("finds runnable sh and ts snippets in the docs", () => {
    const all = documents.flatMap((document) => document.snippets);
    expect(all.filter((snippet) => snippet.language === "sh").length).toBeGreaterThan(10);
    expect(all.filter((snippet) => snippet.language === "ts").length).toBeGreaterThan(0);
  });
});

describe("runnable snippets › against a started server", () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "portcullis-docs-"));
    mkdirSync(join(REPOSITORY, ".test-data"), { recursive: true });
    tsRoot = mkdtempSync(join(REPOSITORY, ".test-data", "docs-snippets-"));
    const dataDir = join(root, "data");
    shimFolder = join(root, "bin");
    curlHome = join(root, "curl");
    for (const folder of [dataDir, shimFolder, curlHome]) mkdirSync(folder);

    const port = await findFreePort();
    baseUrl = `http://localhost:${port}`;
    const stores: Record<string, string> =
      TEST_STORE === "postgres"
        ? {
            DATABASE_URL: (await createPostgresSchema()).url,
            REDIS_URL: REDIS_TEST_URL,
            PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix(),
          }
        : { DATABASE_URL: `sqlite:${join(dataDir, "portcullis.db")}` };
    serverEnv = {
      ...stores,
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_SECRET: SECRET,
      PORTCULLIS_PUBLIC_URL: baseUrl,
      // The API scopes the OpenID provider's examples ask for.
      PORTCULLIS_SCOPES: "orders:read orders:write",
    };
    server = spawnTypeScript(SERVER_ENTRY, [], { cwd: root, env: { ...serverEnv, PORT: String(port) } });

    // While the server starts:
    const cli = join(tsRoot, "cli.js");
    await bundleCli(cli);
    writeNpmShim(shimFolder, cli);
    // An HTTP error fails the snippet, with the problem document on stderr; nothing waits forever.
    writeFileSync(join(curlHome, ".curlrc"), "--fail-with-body\n--show-error\n--max-time 20\n");
    tsconfigPath = writeSnippetTsconfig(tsRoot);

    await server.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);
    // An administrator as an operator makes one: signed up, then promoted on the command line.
    await register(ADMIN_EMAIL);
    const promoted = await run(
      process.execPath,
      [cli, "users", "set-roles", ADMIN_EMAIL, "--role", "user", "--role", "admin"],
      { cwd: root, env: cleanEnv(serverEnv), timeoutMs: START_TIMEOUT_MS },
    );
    expect(promoted.code, promoted.stderr).toBe(0);
  }, 3 * START_TIMEOUT_MS);

  afterAll(async () => {
    await server?.kill();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    if (tsRoot !== undefined) rmSync(tsRoot, { recursive: true, force: true });
  });

  for (const document of documents) {
    describe(document.file, () => {
      const slug = basename(document.file, ".md").toLowerCase();
      let workFolder: string;
      let stateFile: string;
      let snippetEnv: Record<string, string>;

      beforeAll(async () => {
        workFolder = join(root, "work", slug);
        mkdirSync(workFolder, { recursive: true });
        stateFile = join(root, "work", `${slug}.state.sh`);
        const reader = `reader-${slug}@example.com`;
        await register(reader);
        snippetEnv = cleanEnv({
          ...serverEnv,
          PATH: `${shimFolder}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
          CURL_HOME: curlHome,
          PORTCULLIS_URL: baseUrl,
          ACCESS_TOKEN: await signIn(reader),
          ADMIN_TOKEN: await signIn(ADMIN_EMAIL),
          SNIPPET_STATE: stateFile,
        });
      }, START_TIMEOUT_MS);

      for (const snippet of document.snippets) {
        it(
          `${document.file}:${snippet.line} (${snippet.language}) runs`,
          async () => {
            const result =
              snippet.language === "sh"
                ? await runShell(snippet, workFolder, snippetEnv)
                : await runTypeScriptSnippet(snippet, slug, snippetEnv);
            expect(result.code, describeRun(snippet, result)).toBe(0);
          },
          SNIPPET_TIMEOUT_MS,
        );
      }
    });
  }
});

/** bash, failing on the first failing command; exported variables carry over to the next block. */
function runShell(snippet: RunnableSnippet, cwd: string, env: Record<string, string>): Promise<Finished> {
  const script = [
    "set -eo pipefail",
    "set -a",
    '[ -f "$SNIPPET_STATE" ] && . "$SNIPPET_STATE"',
    snippet.code,
    'export -p > "$SNIPPET_STATE"',
  ].join("\n");
  return run("bash", ["-c", script], { cwd, env, timeoutMs: SNIPPET_TIMEOUT_MS - 5_000 });
}

function runTypeScriptSnippet(
  snippet: RunnableSnippet,
  slug: string,
  env: Record<string, string>,
): Promise<Finished> {
  const file = join(tsRoot, `${slug}-${snippet.line}.ts`);
  writeFileSync(file, snippet.code);
  return run(process.execPath, ["--import", TSX_LOADER, file], {
    cwd: tsRoot,
    env: { ...env, TSX_TSCONFIG_PATH: tsconfigPath },
    timeoutMs: SNIPPET_TIMEOUT_MS - 5_000,
  });
}
