/**
 * Invariant: by default every request leaves exactly one access-log line — method, route pattern,
 * status, duration, request id, and the user and session ids when someone is signed in — and
 * nothing else: no URL or query, no header, no body, so none of the credentials a request carried
 * (ASVS 16.2.5). `PORTCULLIS_ACCESS_LOG=errors` logs only answers with status ≥ 400, `off` none.
 * The lines go through a buffered destination, and closing the app writes out every one of them.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCESS_LOG_MESSAGE } from "../../src/http/plugins/access-log.js";
import { createSignedInUser, send } from "../support/accounts.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

interface LogLine {
  msg?: string;
  level?: number;
  reqId?: string;
  method?: string;
  route?: string | null;
  status?: number;
  durationMs?: number;
  userId?: string;
  sessionId?: string;
}

/** Everything an access-log line may hold: pino's own fields and the plugin's. */
const ACCESS_LOG_FIELDS = new Set([
  "level",
  "time",
  "pid",
  "hostname",
  "reqId",
  "msg",
  "method",
  "route",
  "status",
  "durationMs",
  "userId",
  "sessionId",
]);

const INFO = 30;

function capture() {
  const lines: string[] = [];
  return {
    lines,
    stream: { write: (line: string) => lines.push(line) },
    since: (from: number) => lines.slice(from).map((line) => JSON.parse(line) as LogLine),
  };
}

const sessionIdOf = (accessToken: string): string =>
  (JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString()) as { sid: string }).sid;

async function cookieSession(t: TestApp) {
  const email = uniqueEmail("access-log");
  expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
  expect(login.statusCode, login.body).toBe(200);
  const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
  return { cookie, userId: login.json<{ user: { id: string } }>().user.id };
}

describe("access log › default (all)", () => {
  const log = capture();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ logStream: log.stream });
  });
  afterAll(() => t.close());

  it("writes exactly one line per request, with method, route pattern, status, duration, request id and who", async () => {
    const user = await createSignedInUser(t);
    const page = await cookieSession(t);
    const sessionId = sessionIdOf(user.accessToken);
    const before = log.lines.length;

    const me = await send(t, "GET", "/v1/me", user.headers);
    // Someone else's session, or none: the line names the pattern, not the id in the path.
    const session = await send(t, "DELETE", `/v1/sessions/${randomUUID()}`, user.headers);
    const refused = await send(
      t,
      "GET",
      `/v1/me?access_token=${user.accessToken}&refresh_token=${user.refreshToken}&password=${STRONG_PASSWORD}`,
    );
    const missing = await send(t, "GET", `/no/such/${user.refreshToken}`);
    const account = await send(t, "GET", "/account", { cookie: page.cookie });
    const statuses = [me, session, refused, missing, account].map((response) => response.statusCode);
    expect(statuses).toEqual([200, session.statusCode, 401, 404, 200]);

    const written = log.since(before);
    expect(written).toHaveLength(5);
    for (const line of written) {
      expect(line.msg).toBe(ACCESS_LOG_MESSAGE);
      expect(line.level).toBe(INFO);
      expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof line.durationMs).toBe("number");
      expect(Object.keys(line).filter((key) => !ACCESS_LOG_FIELDS.has(key))).toEqual([]);
    }
    expect(new Set(written.map((line) => line.reqId)).size).toBe(5);
    expect(written.map(({ method, route, status }) => ({ method, route, status }))).toEqual([
      { method: "GET", route: "/v1/me", status: 200 },
      { method: "DELETE", route: "/v1/sessions/:id", status: session.statusCode },
      { method: "GET", route: "/v1/me", status: 401 },
      { method: "GET", route: null, status: 404 },
      { method: "GET", route: "/account", status: 200 },
    ]);
    expect(written[0]).toMatchObject({ userId: user.user.id, sessionId });
    expect(written[2]).not.toHaveProperty("userId");
    expect(written[4]).toMatchObject({ userId: page.userId });
    expect(written[4]?.sessionId).toEqual(expect.any(String));

    const cookieValue = page.cookie.split("=")[1] ?? "";
    for (const line of log.lines.slice(before)) {
      for (const secret of [user.accessToken, user.refreshToken, STRONG_PASSWORD, cookieValue]) {
        expect(line).not.toContain(secret);
      }
      expect(line).not.toContain("?");
    }
  });
});

describe("access log › PORTCULLIS_ACCESS_LOG", () => {
  it("errors: logs only the answers with status 400 and above", async () => {
    const log = capture();
    const t = await createTestApp({ env: { PORTCULLIS_ACCESS_LOG: "errors" }, logStream: log.stream });
    try {
      const before = log.lines.length;
      expect((await t.get("/healthz")).statusCode).toBe(200);
      expect((await t.get("/v1/me")).statusCode).toBe(401);
      expect((await t.get("/no/such/route")).statusCode).toBe(404);
      expect(log.since(before).map(({ route, status }) => ({ route, status }))).toEqual([
        { route: "/v1/me", status: 401 },
        { route: null, status: 404 },
      ]);
    } finally {
      await t.close();
    }
  });

  it("off: logs no request at all", async () => {
    const log = capture();
    const t = await createTestApp({ env: { PORTCULLIS_ACCESS_LOG: "off" }, logStream: log.stream });
    try {
      const before = log.lines.length;
      expect((await t.get("/healthz")).statusCode).toBe(200);
      expect((await t.get("/v1/me")).statusCode).toBe(401);
      expect((await t.get("/no/such/route")).statusCode).toBe(404);
      expect(log.since(before)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe("access log › shutdown", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-access-log-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes out the lines still buffered when the app closes", async () => {
    const file = join(dir, "server.log");
    const t = await createTestApp({ logFile: file });
    const requests = 10;
    for (let i = 0; i < requests; i++) expect((await t.get("/healthz")).statusCode).toBe(200);
    // Some 2 KiB: well under a batch, so nothing is written before the close.
    await t.close();

    const written = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === ACCESS_LOG_MESSAGE);
    expect(written).toHaveLength(requests);
    expect(written.every((line) => line.route === "/healthz" && line.status === 200)).toBe(true);
  });
});
