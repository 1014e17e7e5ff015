// Starting Portcullis for the bench and talking to it (register, login, JWKS).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, makeTmpDir, REPO_ROOT, removeTmpDir, startTarget, type Target } from "./child.js";

export const DEFAULT_SERVER = join(REPO_ROOT, "packages/server/dist/main.js");

export interface Portcullis extends Target {
  readonly publicUrl: string;
  /** Stops the server and removes its data folder. */
  dispose(): Promise<void>;
}

export async function startPortcullis(serverPath: string, verbose: boolean): Promise<Portcullis> {
  const main = resolve(REPO_ROOT, serverPath);
  if (!existsSync(main)) {
    throw new Error(
      `${main} does not exist: build the server first (npm run build), or pass --no-portcullis`,
    );
  }
  const dir = makeTmpDir("portcullis-bench-");
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  try {
    const target = await startTarget({
      name: "portcullis",
      args: [main],
      port,
      verbose,
      readyTries: 600,
      env: {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
        PORTCULLIS_SECRET: randomBytes(36).toString("base64url"),
        PORTCULLIS_PUBLIC_URL: publicUrl,
        PORTCULLIS_LOGIN_RATE_LIMIT: "off",
        PORTCULLIS_RATE_LIMIT: "off",
        NODE_ENV: "production",
        PORTCULLIS_LOG_LEVEL: "warn",
      },
    });
    return {
      ...target,
      publicUrl,
      dispose: async () => {
        await target.stop();
        removeTmpDir(dir);
      },
    };
  } catch (error) {
    removeTmpDir(dir);
    throw error;
  }
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

export async function login(baseUrl: string, creds: Credentials): Promise<string> {
  const res = await postJson(`${baseUrl}/v1/auth/login`, creds);
  const token =
    res.json && typeof res.json === "object" && "accessToken" in res.json ? res.json.accessToken : undefined;
  if (res.status !== 200 || typeof token !== "string") {
    throw new Error(
      `POST /v1/auth/login answered ${res.status} without an accessToken: ${res.text.slice(0, 500)}`,
    );
  }
  return token;
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
