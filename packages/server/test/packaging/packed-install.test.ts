/**
 * The packages as people install them: `npm pack` of `portcullis` and `@portcullis/middleware`
 * (and any workspace package the server depends on) yields tarballs of built code only, which
 * install into an empty folder and run from there. `npx portcullis start|migrate|doctor` work on
 * SQLite; the Dockerfile's command and health check work as written; two instances run on
 * PostgreSQL and Redis as compose.yaml runs them; and an Express app verifies, with the installed
 * middleware, a token that server issued.
 *
 * Run by `npm run test:packaging` after `npm run build` (CI does both). better-sqlite3 would
 * compile from source here (its prebuilt binaries are downloaded from GitHub, which this machine
 * cannot reach): the binary the workspace already built is offered to it as a local prebuild
 * (prebuild-install's documented `npm_config_<package>_local_prebuilds`), so the install takes
 * seconds. The rest comes from the registry, through npm's cache.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, findFreePort } from "../support/node-process.js";
import {
  createPostgresSchema,
  POSTGRES_TEST_URL,
  REDIS_TEST_URL,
  uniqueRedisPrefix,
} from "../support/test-stores.js";

const run = promisify(execFile);

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const SECRET = "packed-install-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const PUBLIC_URL = "https://auth.example.test";
const PASSWORD = "violet-Umbrella-73-quarry";
const START_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 900_000;

/** The commands the Dockerfile runs, as it writes them: the test fails if the Dockerfile drifts. */
const DOCKER_INSTALL = "npm install --omit=dev --no-audit --no-fund /tarballs/*.tgz";
const DOCKER_HEALTHCHECK = [
  "node",
  "-e",
  "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
];
const DOCKER_COMMAND = ["node", "node_modules/portcullis/dist/cli/main.js", "start"];

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  filename: string;
  files: PackedFile[];
}
interface PackageJson {
  name: string;
  version: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

const workspace = readJson<PackageJson>(join(REPO, "packages/server/package.json"));
/** The server and the workspace packages it depends on at run time: what the Dockerfile packs. */
const serverPackages = [
  workspace.name,
  ...Object.keys(workspace.dependencies ?? {}).filter((name) => name.startsWith("@portcullis/")),
];
const packedNames = [...serverPackages, "@portcullis/middleware"];

let root: string;
let tarballs: string;
let app: string;
let packed: Packed[] = [];
const processes: ChildProcess[] = [];

/** Runs `command` to completion in `cwd` with a clean environment plus `env`; rejects with its output. */
async function sh(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  try {
    return await run(command, args, {
      cwd,
      env: cleanEnv({ npm_config_update_notifier: "false", ...env }),
      maxBuffer: 64 * 1024 * 1024,
      timeout: INSTALL_TIMEOUT_MS,
    });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(" ")} failed: ${failed.message}\n${failed.stdout}\n${failed.stderr}`,
    );
  }
}

/** Starts a long-running command in the installed folder and waits until the server says it listens. */
async function startServer(command: string, args: string[], env: Record<string, string>) {
  // A process group of its own: `npx` runs the command through a shell that does not pass SIGTERM
  // on, so signals go to the group, as a terminal's Ctrl-C does.
  const child = spawn(command, args, {
    cwd: app,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  processes.push(child);
  let output = "";
  const exited = new Promise<number | null>((resolveExit) => child.once("close", resolveExit));
  await new Promise<void>((resolveStart, rejectStart) => {
    const timer = setTimeout(
      () => rejectStart(new Error(`no "listening" within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening/i.test(output)) {
        clearTimeout(timer);
        resolveStart();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("close", (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    output: () => output,
    async stop(): Promise<number | null> {
      signalGroup(child, "SIGTERM");
      return exited;
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group has already exited.
  }
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Registers an account and returns an access token for it. */
async function signIn(baseUrl: string, email: string): Promise<string> {
  const registered = await postJson(`${baseUrl}/v1/auth/register`, { email, password: PASSWORD });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const login = await postJson(`${baseUrl}/v1/auth/login`, { email, password: PASSWORD });
  expect(login.status, await login.clone().text()).toBe(200);
  return ((await login.json()) as { accessToken: string }).accessToken;
}

/**
 * A prebuild tarball of the workspace's better-sqlite3 binary, named as prebuild-install looks
 * for it (`<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`, holding build/Release/…).
 */
async function offerLocalSqlitePrebuild(folder: string): Promise<Record<string, string>> {
  const moduleDir = join(REPO, "node_modules/better-sqlite3");
  const { version } = readJson<PackageJson>(join(moduleDir, "package.json"));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(folder, { recursive: true });
  await sh("tar", ["-czf", join(folder, name), "build/Release/better_sqlite3.node"], moduleDir);
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}

beforeAll(async () => {
  for (const pkg of ["server", "middleware"])
    if (!existsSync(join(REPO, "packages", pkg, "dist")))
      throw new Error(`packages/${pkg}/dist is missing: run \`npm run build\` first`);
  root = mkdtempSync(join(tmpdir(), "portcullis-packed-"));
  tarballs = join(root, "tarballs");
  app = join(root, "app");
  mkdirSync(tarballs);
  mkdirSync(app);

  const workspaces = packedNames.flatMap((name) => ["-w", name]);
  const { stdout } = await sh("npm", ["pack", "--json", "--pack-destination", tarballs, ...workspaces], REPO);
  packed = JSON.parse(stdout) as Packed[];

  // As the Dockerfile does, with its /tarballs here; plus express for the resource server.
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "packed-install-check", private: true, allowScripts: { "better-sqlite3": true } }),
  );
  const prebuild = await offerLocalSqlitePrebuild(join(root, "prebuilds"));
  const [install, ...installArgs] = DOCKER_INSTALL.split(" ");
  const files = packed.map((entry) => join(tarballs, entry.filename));
  await sh(
    install!,
    [...installArgs.filter((arg) => arg !== "/tarballs/*.tgz"), "--prefer-offline", ...files, "express@5"],
    app,
    prebuild,
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  // The whole group: a server `npx` started outlives npx itself.
  for (const child of processes) signalGroup(child, "SIGKILL");
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("packs built code only: dist, declarations and package.json, no sources, tests or local data", () => {
    expect(packed.map((entry) => entry.name).sort()).toEqual([...packedNames].sort());
    for (const entry of packed) {
      const paths = entry.files.map((file) => file.path);
      expect(paths).toContain("package.json");
      expect(paths, entry.name).toContain("dist/index.js");
      expect(paths, entry.name).toContain("dist/index.d.ts");
      const unwanted = paths.filter(
        (path) =>
          !(path === "package.json" || path === "README.md" || path.startsWith("dist/")) ||
          /\.test\.|test-support|(^|\/)(data|node_modules)\//.test(path),
      );
      expect(unwanted, entry.name).toEqual([]);
    }
    const server = packed.find((entry) => entry.name === "portcullis")!;
    expect(server.files.map((file) => file.path)).toContain("dist/cli/main.js");
  });

  it("installs a `portcullis` command that starts with a node shebang", () => {
    const installed = readJson<PackageJson>(join(app, "node_modules/portcullis/package.json"));
    expect(installed.bin).toEqual({ portcullis: "./dist/cli/main.js" });
    expect(readFileSync(join(app, "node_modules/portcullis/dist/cli/main.js"), "utf8")).toMatch(
      /^#!\/usr\/bin\/env node\n/,
    );
    expect(existsSync(join(app, "node_modules/.bin/portcullis"))).toBe(true);
  });

  it("keeps the Dockerfile's commands the ones this test runs", () => {
    const dockerfile = readFileSync(join(REPO, "Dockerfile"), "utf8");
    const packLine = `npm pack --pack-destination /tarballs ${serverPackages.map((name) => `-w ${name}`).join(" ")}`;
    expect(dockerfile).toContain(`RUN ${packLine}\n`);
    expect(dockerfile).toContain(`RUN ${DOCKER_INSTALL}\n`);
    expect(dockerfile).toContain(`CMD ${JSON.stringify(DOCKER_HEALTHCHECK).replaceAll('","', '", "')}\n`);
    expect(dockerfile).toContain(`CMD ${JSON.stringify(DOCKER_COMMAND).replaceAll('","', '", "')}\n`);
    expect(dockerfile).toMatch(/^USER node$/m);
    const compose = readFileSync(join(REPO, "compose.yaml"), "utf8");
    expect(compose).toContain("REDIS_URL: redis://redis:6379");
    expect(compose).toMatch(/DATABASE_URL: postgres:\/\//);
  });
});

describe("the installed server", () => {
  it("migrates, starts as the Dockerfile starts it, passes its health check and doctor, and a token it issues passes the installed Express middleware", async () => {
    const data = join(root, "data");
    const port = await findFreePort();
    // The image's environment (NODE_ENV=production, the data folder, SQLite), plus what an operator sets.
    const env = {
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      PORTCULLIS_DATA_DIR: data,
      DATABASE_URL: `sqlite:${join(data, "portcullis.db")}`,
      PORTCULLIS_SECRET: SECRET,
      PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
      PORTCULLIS_MAIL_OUTBOX: join(data, "mail"),
    };

    const migrated = await sh("npx", ["--no", "portcullis", "migrate"], app, env);
    expect(migrated.stdout).toContain("up to date");
    expect(existsSync(join(data, "portcullis.db"))).toBe(true);

    const [command, ...args] = DOCKER_COMMAND;
    const server = await startServer(command!, args, env);
    const baseUrl = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);

    const [health, ...healthArgs] = DOCKER_HEALTHCHECK;
    await expect(sh(health!, healthArgs, app, { PORT: String(port) })).resolves.toBeDefined();
    const wrongPort = String(await findFreePort());
    await expect(sh(health!, healthArgs, app, { PORT: wrongPort })).rejects.toThrow();

    const doctor = await sh("npx", ["--no", "portcullis", "doctor", "--json"], app, env);
    const verdict = JSON.parse(doctor.stdout) as { ok: boolean; checks: { check: string; status: string }[] };
    expect(verdict.ok).toBe(true);
    expect(verdict.checks.find((check) => check.check === "database")?.status).toBe("passed");

    const accessToken = await signIn(baseUrl, "packed@example.com");
    const apiPort = await findFreePort();
    writeFileSync(
      join(app, "resource-server.mjs"),
      `import express from "express";
import { authenticate } from "@portcullis/middleware/express";

const signedIn = authenticate({
  issuer: ${JSON.stringify(PUBLIC_URL)},
  audience: ${JSON.stringify(PUBLIC_URL)},
  jwksUrl: ${JSON.stringify(`${baseUrl}/.well-known/jwks.json`)},
});
await signedIn.ready();
const api = express();
api.get("/me", signedIn, (req, res) => res.json({ userId: req.auth.userId }));
api.listen(${apiPort}, "127.0.0.1", () => console.log("resource server listening"));
`,
    );
    const resourceServer = await startServer("node", ["resource-server.mjs"], {});
    const refused = await fetch(`http://127.0.0.1:${apiPort}/me`);
    expect(refused.status).toBe(401);
    const accepted = await fetch(`http://127.0.0.1:${apiPort}/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    expect(((await accepted.json()) as { userId: string }).userId).toEqual(expect.any(String));
    await resourceServer.stop();

    // SIGTERM, as `docker stop` sends it, drains and exits 0.
    expect(await server.stop()).toBe(0);
  });

  it("runs two instances on PostgreSQL and Redis, as compose.yaml does, through `npx portcullis start`", async () => {
    const schema = await createPostgresSchema(POSTGRES_TEST_URL);
    const ports = [await findFreePort(), await findFreePort()];
    // One database, one Redis key space: the instances share sessions and the revocation bus.
    const redisPrefix = uniqueRedisPrefix();
    const env = (port: number) => ({
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      PORTCULLIS_DATA_DIR: join(root, "data-pg"),
      DATABASE_URL: schema.url,
      REDIS_URL: REDIS_TEST_URL,
      PORTCULLIS_REDIS_PREFIX: redisPrefix,
      PORTCULLIS_SECRET: SECRET,
      PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
      PORTCULLIS_MAIL_OUTBOX: join(root, "mail-pg"),
    });
    // Together, as compose starts them: they queue on the migration lock.
    const instances = await Promise.all(
      ports.map((port) => startServer("npx", ["--no", "portcullis", "start"], env(port))),
    );
    for (const port of ports) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const accessToken = await signIn(`http://127.0.0.1:${ports[0]}`, "compose@example.com");
    const me = await fetch(`http://127.0.0.1:${ports[1]}/v1/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(me.status, await me.clone().text()).toBe(200);

    for (const instance of instances) await instance.stop();
  });
});
