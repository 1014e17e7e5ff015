// Target: Express 5 with `@portcullis/middleware/express` (the built package, as a service
// installs it) guarding GET /v1/me, answering the same small JSON user as the baselines. Express
// defaults otherwise (etag, x-powered-by), like the Express + jsonwebtoken baseline. The
// middleware fetches the JWKS once at start from BENCH_JWKS_URL.
// Run standalone: PORT=3004 BENCH_JWKS_URL=... BENCH_ISSUER=... BENCH_AUDIENCE=... \
//   node --import tsx bench/targets/middleware-express.ts
import { authenticate } from "@portcullis/middleware/express";
import express from "express";
import { userOf } from "../baselines/shared.js";
import { targetConfig } from "./target-config.js";

const config = targetConfig();
const signedIn = authenticate({ issuer: config.issuer, audience: config.audience, jwksUrl: config.jwksUrl });
await signedIn.ready();

const app = express();
app.get("/readyz", (_req, res) => {
  res.json({ status: "ok" });
});
app.get("/v1/me", signedIn, (req, res) => {
  res.json(userOf(req.auth?.userId, req.auth?.roles));
});
app.listen(config.port, config.host);
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
