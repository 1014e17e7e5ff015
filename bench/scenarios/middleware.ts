// Scenario "middleware": GET /v1/me guarded by `@portcullis/middleware`, side by side with the
// baselines of scenario "me", in one run:
//   (a) bare node:http + node:crypto verify with a cached KeyObject (the practical limit),
//   (b) Express 5 + jsonwebtoken given a KeyObject (the classic stack, its best case),
//   (c) Fastify 5 + @portcullis/middleware/fastify,
//   (d) Express 5 + @portcullis/middleware/express,
// and (c), (d) again with more distinct tokens than the middleware's verified-token cache holds,
// so every request pays the full ES256 verification, beside (a), (b) loaded with the same
// round-robin of tokens (the load generator then does the same work per request). The bench signs the tokens itself (the
// shape Portcullis issues: RFC 9068, ES256, kid) and serves their JWKS from its own process for
// the middleware targets to fetch once at start; no Portcullis is needed. Each measurement starts
// its target in a fresh process, warms it up, measures and stops it; targets never overlap.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { BENCH_DIR, freePort, HOST, startTarget, tsArgs } from "../lib/child.js";
import { DISTURBED, rate, ratioCheck, type TargetCheck, table } from "../lib/format.js";
import { type Series, seriesRow, seriesRps } from "../lib/series.js";
import { median, ratios } from "../lib/stats.js";
import { type Jwks, selfSignedTokens } from "../lib/token.js";
import { baselineRun, measure } from "./me.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const ISSUER = "http://portcullis.bench";

/** Serves the JWKS at /.well-known/jwks.json from the bench process (fetched once per target start). */
async function serveJwks(jwks: Jwks): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify(jwks);
  const server: Server = createServer((request, response) => {
    if (request.url !== "/.well-known/jwks.json") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startMiddlewareTarget(name: string, file: string, jwksUrl: string, verbose: boolean) {
  const port = await freePort();
  return startTarget({
    name,
    args: tsArgs(join(BENCH_DIR, "targets", file)),
    port,
    verbose,
    env: {
      PORT: String(port),
      HOST,
      NODE_ENV: "production",
      BENCH_JWKS_URL: jwksUrl,
      BENCH_ISSUER: ISSUER,
      BENCH_AUDIENCE: ISSUER,
    },
  });
}

export async function runMiddleware(options: BenchOptions): Promise<ScenarioReport> {
  const coldCount = Math.max(options.coldTokens, 1);
  const { tokens, jwks } = selfSignedTokens(ISSUER, coldCount);
  const token = tokens[0] ?? "";
  const served = await serveJwks(jwks);
  const kid = String(jwks.keys[0]?.kid);
  try {
    const baseline = (file: string, set: string[], env: Record<string, string> = {}) =>
      baselineRun(file, jwks, set, options, env);
    const target = (file: string, set: string[]) => async (label: string) =>
      measure(await startMiddlewareTarget(label, file, served.url, options.verbose), set, options, label);
    const series: Series[] = [
      { name: "bare node:http + node:crypto", samples: [], run: baseline("bare-node-http.ts", [token]) },
      { name: "Express 5 + jsonwebtoken", samples: [], run: baseline("express-jsonwebtoken.ts", [token]) },
      {
        name: "Fastify + @portcullis/middleware/fastify",
        samples: [],
        run: target("middleware-fastify.ts", [token]),
      },
      {
        name: "Express + @portcullis/middleware/express",
        samples: [],
        run: target("middleware-express.ts", [token]),
      },
    ];
    /** The rows loaded with the round-robin of tokens, compared with the baselines loaded alike. */
    const roundRobinSeries: Series[] = [];
    if (options.coldTokens > 1) {
      const roundRobin = `${tokens.length} tokens round-robin`;
      roundRobinSeries.push(
        {
          name: `bare node:http + node:crypto (${roundRobin})`,
          samples: [],
          run: baseline("bare-node-http.ts", tokens),
        },
        {
          name: `Express 5 + jsonwebtoken (${roundRobin})`,
          samples: [],
          run: baseline("express-jsonwebtoken.ts", tokens),
        },
        {
          name: `bare node:http + node:crypto, signature on the thread pool (${roundRobin})`,
          samples: [],
          run: baseline("bare-node-http.ts", tokens, { BENCH_VERIFY: "off-thread" }),
        },
        {
          name: `Fastify + middleware (${roundRobin})`,
          samples: [],
          run: target("middleware-fastify.ts", tokens),
        },
        {
          name: `Express + middleware (${roundRobin})`,
          samples: [],
          run: target("middleware-express.ts", tokens),
        },
      );
      series.push(...roundRobinSeries);
    }

    for (let round = 1; round <= options.rounds; round++) {
      for (const s of series) {
        const label = options.rounds > 1 ? `${s.name}, round ${round}/${options.rounds}` : s.name;
        s.samples.push(await s.run(label));
      }
    }

    const [bare, classic, fastifyHot, expressHot] = series;
    const [bareCold, classicCold, , fastifyCold, expressCold] = roundRobinSeries;
    const bareRps = seriesRps(bare);
    const classicRps = seriesRps(classic);
    const body = series.map((s) =>
      roundRobinSeries.includes(s)
        ? seriesRow(s, seriesRps(bareCold), seriesRps(classicCold), options.rounds)
        : seriesRow(s, bareRps, classicRps, options.rounds),
    );
    const shares = series.flatMap((s) => s.samples.map((x) => x.result.otherCpu));

    const checks: TargetCheck[] = [];
    for (const [fastify, express, label, ofBare, bareBaseline, classicBaseline] of [
      [fastifyHot, expressHot, "", 0.85, bare, classic],
      [fastifyCold, expressCold, " (every request a token-cache miss)", 0.9, bareCold, classicCold],
    ] as const) {
      const baselineRps = seriesRps(bareBaseline);
      const classicBaselineRps = seriesRps(classicBaseline);
      if (fastify) {
        checks.push(
          ratioCheck(
            `@portcullis/middleware/fastify ≥ ${ofBare * 100}% of bare node:http${label}`,
            ratios(seriesRps(fastify), baselineRps),
            "≥",
            ofBare,
            `${rate(median(seriesRps(fastify)))} vs ${rate(median(baselineRps))} req/s`,
          ),
        );
      }
      if (express) {
        checks.push(
          ratioCheck(
            `@portcullis/middleware/express ≥ 1.25× Express + jsonwebtoken${label}`,
            ratios(seriesRps(express), classicBaselineRps),
            "≥",
            1.25,
            `${rate(median(seriesRps(express)))} vs ${rate(median(classicBaselineRps))} req/s`,
          ),
        );
      }
    }
    const what = options.rounds > 1 ? `medians of ${options.rounds} rounds, ` : "";
    return {
      title: `GET /v1/me through @portcullis/middleware, ES256 bearer token, kid ${kid} (${what}${options.connections} connections, ${options.duration} s per run)`,
      table: table(
        ["target", "req/s (200)", "p50 ms", "p99 ms", "vs bare", "vs Express", "other CPU", "notes"],
        body,
      ),
      checks,
      notes: [
        "The token-cache-miss runs present each token in turn; they are compared with the baselines loaded with the same round-robin (their vs columns too). The middleware checks a signature on libuv's thread pool; the row 'signature on the thread pool' is the bare server doing the same, for comparison (no target).",
      ],
      runs: shares.length,
      disturbed: shares.filter((x) => x !== undefined && x >= DISTURBED).length,
    };
  } finally {
    await served.close();
  }
}
