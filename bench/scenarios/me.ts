// Scenario "me": GET /v1/me with one valid ES256 bearer token against
//   (a) bare node:http + node:crypto verify with a cached KeyObject (the practical limit),
//   (b) Express 5 + jsonwebtoken given a KeyObject (the classic stack, its best case),
//   (c) Portcullis,
// plus Portcullis with its access log off (the one non-default row, to show what logging costs)
// and Portcullis again with more distinct tokens than its verified-token cache holds, beside
// (a) and (b) loaded with the same round-robin of tokens, and (a) with its signature checked on
// libuv's thread pool (as Portcullis checks one not in its cache; a row for comparison).
// All verify tokens issued by Portcullis, with the key from its JWKS. Each measurement starts its
// target in a fresh process, warms it up, measures, and stops it: no two targets ever run at once.
// With several rounds, each round measures every target once, in the same order.
import { join } from "node:path";
import { BENCH_DIR, freePort, startTarget, type Target, tsArgs } from "../lib/child.js";
import { DISTURBED, rate, ratioCheck, type TargetCheck, table } from "../lib/format.js";
import { warmThenMeasure } from "../lib/load.js";
import {
  fetchJwks,
  getStatus,
  LOGGING_OFF,
  login,
  mintTokens,
  type Portcullis,
  preparePortcullis,
  registerUser,
} from "../lib/portcullis.js";
import { type Sample, type Series, seriesRow, seriesRps } from "../lib/series.js";
import { median, ratios } from "../lib/stats.js";
import { type Jwks, selfSignedToken, tamper, tokenInfo } from "../lib/token.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

/** Before loading a target: the token must pass and a tampered copy must fail. */
async function sanityCheck(target: Target, token: string): Promise<void> {
  const good = await getStatus(`${target.baseUrl}/v1/me`, token);
  if (good.status !== 200) {
    throw new Error(
      `${target.name}: GET /v1/me with the token answered ${good.status}: ${good.text.slice(0, 300)}`,
    );
  }
  const bad = await getStatus(`${target.baseUrl}/v1/me`, tamper(token));
  if (bad.status !== 401) {
    throw new Error(`${target.name}: GET /v1/me with a tampered token answered ${bad.status}, not 401`);
  }
}

/**
 * Loads GET /v1/me with one token, or with several round-robin (each request the next token,
 * so that a server-side cache of verified tokens smaller than the set never hits), then stops
 * the target.
 */
export async function measure(
  target: Target,
  tokens: string[],
  options: BenchOptions,
  label: string,
): Promise<Sample> {
  try {
    const first = tokens[0];
    if (first === undefined) throw new Error("no token");
    await sanityCheck(target, first);
    const remaining = Math.min(...tokens.map((t) => tokenInfo(t).exp)) - Date.now() / 1000;
    if (remaining < options.warmup + options.duration + 10) {
      throw new Error(`a token expires in ${Math.round(remaining)} s, before the run would end`);
    }
    process.stderr.write(`me: ${label}: ${options.warmup} s warm-up, ${options.duration} s measured\n`);
    const headers = tokens.map((t) => ({ authorization: `Bearer ${t}` }));
    let next = 0;
    target.takeLineCount();
    const result = await warmThenMeasure(
      {
        url: `${target.baseUrl}/v1/me`,
        connections: options.connections,
        duration: options.duration,
        headers: { authorization: `Bearer ${first}` },
        ...(tokens.length > 1
          ? { setupRequest: (request) => ({ ...request, headers: headers[next++ % headers.length] ?? {} }) }
          : {}),
      },
      options.warmup,
    );
    return { result, logLines: target.takeLineCount() };
  } finally {
    await target.stop();
  }
}

export async function startBaseline(
  name: string,
  file: string,
  jwks: Jwks,
  token: string,
  verbose: boolean,
  extraEnv: Record<string, string> = {},
) {
  const info = tokenInfo(token);
  const port = await freePort();
  return startTarget({
    name,
    args: tsArgs(join(BENCH_DIR, "baselines", file)),
    port,
    verbose,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      BENCH_JWKS: JSON.stringify(jwks),
      BENCH_KID: info.kid,
      BENCH_ISSUER: info.iss,
      BENCH_AUDIENCE: info.aud,
      ...extraEnv,
    },
  });
}

/**
 * The run of one baseline (a file of bench/baselines) loaded with `tokens`: round-robin when
 * there are several, each request the next token.
 */
export function baselineRun(
  file: string,
  jwks: Jwks,
  tokens: string[],
  options: BenchOptions,
  env: Record<string, string> = {},
): Series["run"] {
  return async (label) =>
    measure(
      await startBaseline(label, file, jwks, tokens[0] ?? "", options.verbose, env),
      tokens,
      options,
      label,
    );
}

export async function runMe(options: BenchOptions): Promise<ScenarioReport> {
  const notes: string[] = [];
  let server: Portcullis | undefined;
  try {
    let token: string;
    let jwks: Jwks;
    let coldTokens: string[] = [];
    if (options.portcullis) {
      // Set-up: Portcullis issues the token(s) and publishes the key the baselines use.
      server = await preparePortcullis(options.server, options.verbose);
      const setup = await server.start();
      try {
        const creds = await registerUser(setup.baseUrl, "me");
        token = await login(setup.baseUrl, creds);
        jwks = await fetchJwks(setup.baseUrl);
        if (options.coldTokens > 1) {
          process.stderr.write(`me: minting ${options.coldTokens} access tokens (logins, then refreshes)\n`);
          const started = Date.now();
          coldTokens = await mintTokens(setup.baseUrl, creds, options.coldTokens, 8, 300_000);
          if (coldTokens.length <= 10_000) {
            notes.push(
              `Note: ${coldTokens.length} tokens fit in Portcullis's cache of 10 000 verified tokens, so that run mostly hits it.`,
            );
          }
          notes.push(
            `Minting ${coldTokens.length} tokens (8 logins, then refreshes) took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
          );
        }
      } finally {
        await setup.stop();
      }
    } else {
      ({ token, jwks } = selfSignedToken("http://127.0.0.1:1"));
    }

    const series: Series[] = [
      {
        name: "bare node:http + node:crypto",
        samples: [],
        run: baselineRun("bare-node-http.ts", jwks, [token], options),
      },
      {
        name: "Express 5 + jsonwebtoken",
        samples: [],
        run: baselineRun("express-jsonwebtoken.ts", jwks, [token], options),
      },
    ];
    const pc = server;
    let hot: Series | undefined;
    let quiet: Series | undefined;
    let cold: Series | undefined;
    let bareCold: Series | undefined;
    let classicCold: Series | undefined;
    /** The rows loaded with the round-robin of tokens, compared with the baselines loaded alike. */
    const roundRobinSeries: Series[] = [];
    if (pc) {
      hot = {
        name: "Portcullis (one token)",
        samples: [],
        run: async (label) => measure(await pc.start(), [token], options, label),
      };
      quiet = {
        name: "Portcullis (one token), non-default: PORTCULLIS_ACCESS_LOG=off",
        samples: [],
        run: async (label) => measure(await pc.start(LOGGING_OFF), [token], options, label),
      };
      series.push(hot, quiet);
      if (coldTokens.length > 0) {
        // The same round-robin for the baselines (which have no cache: every request verifies),
        // so that the load generator does the same work per request on the same cores.
        const roundRobin = `${coldTokens.length} tokens round-robin`;
        bareCold = {
          name: `bare node:http + node:crypto (${roundRobin})`,
          samples: [],
          run: baselineRun("bare-node-http.ts", jwks, coldTokens, options),
        };
        classicCold = {
          name: `Express 5 + jsonwebtoken (${roundRobin})`,
          samples: [],
          run: baselineRun("express-jsonwebtoken.ts", jwks, coldTokens, options),
        };
        const bareOffThread: Series = {
          name: `bare node:http + node:crypto, signature on the thread pool (${roundRobin})`,
          samples: [],
          run: baselineRun("bare-node-http.ts", jwks, coldTokens, options, { BENCH_VERIFY: "off-thread" }),
        };
        cold = {
          name: `Portcullis (${roundRobin})`,
          samples: [],
          run: async (label) => measure(await pc.start(), coldTokens, options, label),
        };
        roundRobinSeries.push(bareCold, classicCold, bareOffThread, cold);
        notes.push(
          "The round-robin rows are compared with the baselines loaded with the same round-robin (their vs columns too). Portcullis checks a signature not in its cache on libuv's thread pool; the row 'signature on the thread pool' is the bare server doing the same, for comparison (no target).",
        );
        series.push(...roundRobinSeries);
      }
    }

    for (let round = 1; round <= options.rounds; round++) {
      for (const s of series) {
        const label = options.rounds > 1 ? `${s.name}, round ${round}/${options.rounds}` : s.name;
        s.samples.push(await s.run(label));
      }
    }

    const [bare, classic] = series;
    const bareRps = seriesRps(bare);
    const classicRps = seriesRps(classic);
    const body = series.map((s) =>
      roundRobinSeries.includes(s) && bareCold && classicCold
        ? seriesRow(s, seriesRps(bareCold), seriesRps(classicCold), options.rounds)
        : seriesRow(s, bareRps, classicRps, options.rounds),
    );
    const shares = series.flatMap((s) => s.samples.map((x) => x.result.otherCpu));

    const checks: TargetCheck[] = [];
    // With its cache of verified tokens Portcullis may beat the bare server; every request a miss,
    // it must come close to the baselines loaded with the same round-robin of tokens.
    for (const [s, label, ofBare, baseline, classicBaseline] of [
      [hot, "", 0.7, bare, classic],
      [cold, " (every request a token-cache miss)", 0.85, bareCold, classicCold],
    ] as const) {
      if (!s || !baseline || !classicBaseline) continue;
      const own = seriesRps(s);
      const baselineRps = seriesRps(baseline);
      const classicBaselineRps = seriesRps(classicBaseline);
      checks.push(
        ratioCheck(
          `Portcullis ≥ ${ofBare * 100}% of bare node:http${label}`,
          ratios(own, baselineRps),
          "≥",
          ofBare,
          `${rate(median(own))} vs ${rate(median(baselineRps))} req/s`,
        ),
        ratioCheck(
          `Portcullis ≥ 1.4× Express + jsonwebtoken${label}`,
          ratios(own, classicBaselineRps),
          "≥",
          1.4,
          `${rate(median(own))} vs ${rate(median(classicBaselineRps))} req/s`,
        ),
      );
    }
    if (hot && quiet) {
      const own = seriesRps(hot);
      const off = seriesRps(quiet);
      checks.push(
        ratioCheck(
          "Portcullis with its defaults ≥ 90% of Portcullis with logging off (PORTCULLIS_ACCESS_LOG=off)",
          ratios(own, off),
          "≥",
          0.9,
          `${rate(median(own))} vs ${rate(median(off))} req/s`,
        ),
      );
    }
    const what = options.rounds > 1 ? `medians of ${options.rounds} rounds, ` : "";
    return {
      title: `GET /v1/me, ES256 bearer token (${what}${options.connections} connections, ${options.duration} s per run)`,
      table: table(
        ["target", "req/s (200)", "p50 ms", "p99 ms", "vs bare", "vs Express", "other CPU", "notes"],
        body,
      ),
      checks,
      notes,
      runs: shares.length,
      disturbed: shares.filter((x) => x !== undefined && x >= DISTURBED).length,
    };
  } finally {
    server?.dispose();
  }
}
