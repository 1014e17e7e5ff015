// Target: Fastify 5 with `@portcullis/middleware/fastify` (the built package, as a service
// installs it) guarding GET /v1/me, answering the same small JSON user as the baselines. Logging
// off, like the bare server. The middleware fetches the JWKS once at start from BENCH_JWKS_URL.
// Run standalone: PORT=3003 BENCH_JWKS_URL=... BENCH_ISSUER=... BENCH_AUDIENCE=... \
//   node --import tsx bench/targets/middleware-fastify.ts
import { authenticate, portcullisAuth } from "@portcullis/middleware/fastify";
import Fastify from "fastify";
import { userOf } from "../baselines/shared.js";
import { targetConfig } from "./target-config.js";

const config = targetConfig();
const signedIn = authenticate({ issuer: config.issuer, audience: config.audience, jwksUrl: config.jwksUrl });
await signedIn.ready();

const app = Fastify({ logger: false });
await app.register(portcullisAuth);
app.get("/readyz", async () => ({ status: "ok" }));
app.get("/v1/me", { onRequest: signedIn }, async (request) =>
  userOf(request.auth?.userId, request.auth?.roles),
);
await app.listen({ port: config.port, host: config.host });
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
