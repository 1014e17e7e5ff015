// Baseline of the "cookie" scenario: Better Auth (npm `better-auth`) with its email + password
// sign-up, on SQLite through better-sqlite3 (a file; Better Auth's defaults otherwise, journal
// mode included), its migrations run at start (`getMigrations`), served by `toNodeHandler` on
// node:http. The bench loads `GET /api/auth/get-session` with the session cookie that sign-up set.
// BENCH_COOKIE_CACHE=1 turns on `session.cookieCache` (a signed copy of the session in the
// `better-auth.session_data` cookie, 5 minutes by default, read instead of the database).
// Rate limiting is off (Better Auth turns it on in production), as it is for Portcullis in the bench.
// Environment: PORT (required), HOST (default 127.0.0.1), BENCH_SQLITE_FILE (required),
// BENCH_SECRET (required, 32+ characters), BENCH_COOKIE_CACHE (optional).
// Run standalone: PORT=3004 BENCH_SQLITE_FILE=/tmp/ba.db BENCH_SECRET=... \
//   node --import tsx bench/baselines/better-auth-sqlite.ts
import { createServer } from "node:http";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import Database from "better-sqlite3";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const port = Number(required("PORT"));
const host = process.env.HOST ?? "127.0.0.1";
const options = {
  database: new Database(required("BENCH_SQLITE_FILE")),
  baseURL: `http://${host}:${port}`,
  secret: required("BENCH_SECRET"),
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  ...(process.env.BENCH_COOKIE_CACHE === "1" ? { session: { cookieCache: { enabled: true } } } : {}),
};
const auth = betterAuth(options);
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const handler = toNodeHandler(auth);
const server = createServer((req, res) => {
  if (req.url === "/readyz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  void handler(req, res);
});

server.listen(port, host);
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
