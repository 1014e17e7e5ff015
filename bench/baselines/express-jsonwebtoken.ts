// Baseline (b), the classic stack in its best case: Express 5 + `jsonwebtoken`, given the public
// key as a KeyObject (not a PEM string, which it would parse on every call), with an explicit
// algorithm allow-list and iss/aud checks. Express defaults otherwise (etag, x-powered-by).
// Run standalone: PORT=3002 BENCH_JWKS_URL=... BENCH_ISSUER=... BENCH_AUDIENCE=... \
//   node --import tsx bench/baselines/express-jsonwebtoken.ts
import express from "express";
import jwt from "jsonwebtoken";
import { loadConfig, UNAUTHORIZED_BODY, userOf } from "./shared.js";

const config = await loadConfig();
const app = express();

app.get("/readyz", (_req, res) => {
  res.json({ status: "ok" });
});

app.get("/v1/me", (req, res) => {
  const auth = req.headers.authorization;
  if (!auth?.startsWith("Bearer ")) {
    res.status(401).type("application/problem+json").send(UNAUTHORIZED_BODY);
    return;
  }
  try {
    const claims = jwt.verify(auth.slice(7), config.key, {
      algorithms: ["ES256"],
      issuer: config.issuer,
      audience: config.audience,
    });
    if (typeof claims === "string") throw new Error("unexpected string payload");
    res.json(userOf(claims.sub, claims.roles));
  } catch {
    res.status(401).type("application/problem+json").send(UNAUTHORIZED_BODY);
  }
});

app.listen(config.port, config.host);
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
