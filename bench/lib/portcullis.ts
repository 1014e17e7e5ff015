// Starting Portcullis for the bench and talking to it (register, login, JWKS).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  freePort,
  makeTmpDir,
  REPO_ROOT,
  removeTmpDir,
  runToCompletion,
  startTarget,
  type Target,
} from "./child.js";

export const DEFAULT_SERVER = join(REPO_ROOT, "packages/server/dist/main.js");

/** The one non-default setting some scenarios measure in a row of its own: no access log. */
export const LOGGING_OFF: Record<string, string> = { PORTCULLIS_ACCESS_LOG: "off" };

/**
 * One Portcullis installation for the bench: a temporary data folder, a secret and a port fixed
 * once, so that the server can be stopped and started again (between measurements, so that no
 * two targets ever run at once) and still accept the tokens it issued earlier (same keys, same
 * `iss`).
 */
export interface Portcullis {
  readonly publicUrl: string;
  /**
   * Starts the server and waits until `GET /readyz` answers 200. `env` changes settings for one
   * run: a non-default setting is measured as a row of its own, named for it.
   */
  start(env?: Record<string, string>): Promise<Target>;
  /** Runs the administration command line (`cli/main.js`) on this installation; its stdout. */
  cli(args: string[]): Promise<string>;
  /** Removes the data folder (stop the server first). */
  dispose(): void;
}

/**
 * Portcullis as a user runs it in production, with the settings it cannot run without here and
 * rate limits off, otherwise its defaults (the access log included). `extraEnv` names the stores,
 * e.g. `DATABASE_URL` and `REDIS_URL` from lib/stores.ts.
 */
export async function preparePortcullis(
  serverPath: string,
  verbose: boolean,
  extraEnv: Record<string, string> = {},
): Promise<Portcullis> {
  const main = resolve(REPO_ROOT, serverPath);
  if (!existsSync(main)) {
    throw new Error(
      `${main} does not exist: build the server first (npm run build), or pass --no-portcullis`,
    );
  }
  const dir = makeTmpDir("portcullis-bench-");
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
    PORTCULLIS_SECRET: randomBytes(36).toString("base64url"),
    PORTCULLIS_PUBLIC_URL: publicUrl,
    PORTCULLIS_LOGIN_RATE_LIMIT: "off",
    PORTCULLIS_RATE_LIMIT: "off",
    NODE_ENV: "production",
    // Production refuses to start without a way to deliver mail; the outbox is a folder of JSON files.
    PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
    ...extraEnv,
  };
  return {
    publicUrl,
    start: (extra = {}) =>
      startTarget({
        name: "portcullis",
        args: [main],
        port,
        verbose,
        readyTries: 600,
        env: { ...env, ...extra },
      }),
    cli: (args) =>
      runToCompletion("portcullis cli", [join(dirname(main), "cli/main.js"), ...args], env, 60_000),
    dispose: () => removeTmpDir(dir),
  };
}

export interface Credentials {
  email: string;
  password: string;
}

/** A password that is not on any common-password list: 20 random URL-safe characters. */
export function randomPassword(): string {
  return randomBytes(15).toString("base64url");
}

async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export async function registerUser(baseUrl: string, label: string): Promise<Credentials> {
  const creds = {
    email: `bench-${label}-${randomBytes(4).toString("hex")}@example.com`,
    password: randomPassword(),
  };
  const res = await postJson(`${baseUrl}/v1/auth/register`, { ...creds, name: `Bench ${label}` });
  if (res.status !== 201) {
    throw new Error(`POST /v1/auth/register answered ${res.status}: ${res.text.slice(0, 500)}`);
  }
  return creds;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

function readTokens(res: { status: number; json: unknown; text: string }, what: string): Tokens {
  const body = res.json && typeof res.json === "object" ? (res.json as Record<string, unknown>) : {};
  const { accessToken, refreshToken } = body;
  if (res.status !== 200 || typeof accessToken !== "string" || typeof refreshToken !== "string") {
    throw new Error(`${what} answered ${res.status} without tokens: ${res.text.slice(0, 500)}`);
  }
  return { accessToken, refreshToken };
}

export async function loginTokens(baseUrl: string, creds: Credentials): Promise<Tokens> {
  return readTokens(await postJson(`${baseUrl}/v1/auth/login`, creds), "POST /v1/auth/login");
}

export async function login(baseUrl: string, creds: Credentials): Promise<string> {
  return (await loginTokens(baseUrl, creds)).accessToken;
}

/**
 * `count` distinct valid access tokens: one login per chain, then refreshes (each rotation
 * issues a new access token; the earlier ones stay valid). `chains` run concurrently.
 * Bounded in count and in time.
 */
export async function mintTokens(
  baseUrl: string,
  creds: Credentials,
  count: number,
  chains: number,
  timeLimitMs: number,
): Promise<string[]> {
  const tokens: string[] = [];
  const deadline = Date.now() + timeLimitMs;
  const chain = async () => {
    let current = await loginTokens(baseUrl, creds);
    tokens.push(current.accessToken);
    while (tokens.length < count) {
      if (Date.now() > deadline) throw new Error(`minting ${count} tokens took over ${timeLimitMs} ms`);
      const res = await postJson(`${baseUrl}/v1/auth/refresh`, { refreshToken: current.refreshToken });
      current = readTokens(res, "POST /v1/auth/refresh");
      tokens.push(current.accessToken);
    }
  };
  await Promise.all(Array.from({ length: Math.min(chains, count) }, chain));
  return tokens.slice(0, count);
}

export async function fetchJwks(baseUrl: string): Promise<{ keys: Record<string, unknown>[] }> {
  const res = await fetch(`${baseUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
  const json: unknown = await res.json();
  if (
    res.status !== 200 ||
    !json ||
    typeof json !== "object" ||
    !("keys" in json) ||
    !Array.isArray(json.keys) ||
    json.keys.length === 0
  ) {
    throw new Error(
      `GET /.well-known/jwks.json answered ${res.status}: ${JSON.stringify(json).slice(0, 500)}`,
    );
  }
  return { keys: json.keys as Record<string, unknown>[] };
}

/** GET `path` with a bearer token; the status. */
export async function getStatus(url: string, token: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}
