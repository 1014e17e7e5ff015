// Baseline of the "cookie" scenario, the classic stack: Express 5 + express-session + connect-redis 9
// (`RedisStore`) over node-redis v5, with the usual settings: resave false, saveUninitialized false,
// rolling false, a 30-minute cookie maxAge (so every authenticated request also refreshes the
// key's TTL: connect-redis `touch`, i.e. a GET and an EXPIRE per request). `POST /v1/auth/login`
// stores `req.session.user` (no password check: that is not what is measured) and sets
// `connect.sid`; `GET /v1/me` answers that user, or 401 without a session.
// Environment: PORT (required), HOST (default 127.0.0.1), BENCH_REDIS_URL (default
// redis://127.0.0.1:6379), BENCH_REDIS_PREFIX (the key prefix; the bench makes one per run and
// deletes its keys afterwards), BENCH_SESSION_SECRET (required).
// Run standalone: PORT=3003 BENCH_SESSION_SECRET=... BENCH_REDIS_PREFIX=bench-sess: \
//   node --import tsx bench/baselines/express-session-redis.ts
import { randomUUID } from "node:crypto";
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient } from "redis";
import { UNAUTHORIZED_BODY } from "./shared.js";

interface SessionUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
}

declare module "express-session" {
  interface SessionData {
    user: SessionUser;
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const port = Number(required("PORT"));
const redis = createClient({ url: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379" });
redis.on("error", (error: unknown) => {
  process.stderr.write(`redis: ${error instanceof Error ? error.message : String(error)}\n`);
});
await redis.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: process.env.BENCH_REDIS_PREFIX ?? "sess:" }),
    secret: required("BENCH_SESSION_SECRET"),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: "lax", maxAge: 30 * 60 * 1000 },
  }),
);

app.get("/readyz", (_req, res) => {
  res.json({ status: "ok" });
});

app.post("/v1/auth/login", express.json(), (req, res, next) => {
  const email = typeof req.body?.email === "string" ? req.body.email : "bench@example.com";
  // A new session id at login (session fixation), as the express-session docs recommend.
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = { id: randomUUID(), email, name: "Bench", roles: ["user"] };
    req.session.save((saveError) => {
      if (saveError) return next(saveError);
      res.json({ user: req.session.user });
    });
  });
});

app.get("/v1/me", (req, res) => {
  const user = req.session.user;
  if (!user) {
    res.status(401).type("application/problem+json").send(UNAUTHORIZED_BODY);
    return;
  }
  res.json({
    user: { ...user, emailVerified: false, mfaEnabled: false, createdAt: "2025-01-01T00:00:00.000Z" },
  });
});

app.listen(port, process.env.HOST ?? "127.0.0.1");
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
