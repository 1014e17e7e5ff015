// Scenario "me": GET /v1/me with one valid ES256 bearer token against
//   (a) bare node:http + node:crypto verify with a cached KeyObject (the practical limit),
//   (b) Express 5 + jsonwebtoken given a KeyObject (the classic stack, its best case),
//   (c) Portcullis.
// All three verify the very same token, issued by Portcullis, with the key from its JWKS.
// Targets run one after another, each in its own process, with a warm-up before the measured run.
import { join } from "node:path";
import { BENCH_DIR, freePort, startTarget, type Target, tsArgs } from "../lib/child.js";
import { atLeast, ms, rate, ratio, type TargetCheck, table } from "../lib/format.js";
import { describeStatuses, type LoadResult, warmThenMeasure } from "../lib/load.js";
import { fetchJwks, getStatus, login, registerUser, startPortcullis } from "../lib/portcullis.js";
import { type Jwks, selfSignedToken, tamper, tokenInfo } from "../lib/token.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

interface Row {
  name: string;
  result: LoadResult;
  logLines: number;
}

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

async function measure(target: Target, token: string, options: BenchOptions): Promise<Row> {
  await sanityCheck(target, token);
  const remaining = tokenInfo(token).exp - Date.now() / 1000;
  if (remaining < options.warmup + options.duration + 10) {
    throw new Error(`the token expires in ${Math.round(remaining)} s, before the run would end`);
  }
  process.stderr.write(`me: ${target.name}: ${options.warmup} s warm-up, ${options.duration} s measured\n`);
  const result = await warmThenMeasure(
    {
      url: `${target.baseUrl}/v1/me`,
      connections: options.connections,
      duration: options.duration,
      headers: { authorization: `Bearer ${token}` },
    },
    options.warmup,
  );
  return { name: target.name, result, logLines: target.takeLineCount() };
}

async function measureBaseline(
  name: string,
  file: string,
  jwks: Jwks,
  token: string,
  options: BenchOptions,
): Promise<Row> {
  const info = tokenInfo(token);
  const port = await freePort();
  const target = await startTarget({
    name,
    args: tsArgs(join(BENCH_DIR, "baselines", file)),
    port,
    verbose: options.verbose,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      BENCH_JWKS: JSON.stringify(jwks),
      BENCH_KID: info.kid,
      BENCH_ISSUER: info.iss,
      BENCH_AUDIENCE: info.aud,
    },
  });
  try {
    return await measure(target, token, options);
  } finally {
    await target.stop();
  }
}

export async function runMe(options: BenchOptions): Promise<ScenarioReport> {
  const rows: Row[] = [];
  let token: string;
  let jwks: Jwks;
  let portcullisRow: Row | undefined;

  if (options.portcullis) {
    // Portcullis first: it issues the token and publishes the key the baselines use.
    // It is stopped before the baselines start, so no two targets ever run at once.
    const server = await startPortcullis(options.server, options.verbose);
    try {
      const creds = await registerUser(server.baseUrl, "me");
      token = await login(server.baseUrl, creds);
      jwks = await fetchJwks(server.baseUrl);
      portcullisRow = await measure(server, token, options);
      portcullisRow.name = "Portcullis";
    } finally {
      await server.dispose();
    }
  } else {
    ({ token, jwks } = selfSignedToken("http://127.0.0.1:1"));
  }

  const bare = await measureBaseline(
    "bare node:http + node:crypto",
    "bare-node-http.ts",
    jwks,
    token,
    options,
  );
  rows.push(bare);
  const classic = await measureBaseline(
    "Express 5 + jsonwebtoken",
    "express-jsonwebtoken.ts",
    jwks,
    token,
    options,
  );
  rows.push(classic);
  if (portcullisRow) rows.push(portcullisRow);

  const body = rows.map((row) => {
    const notes = [describeStatuses(row.result)];
    if (row.logLines > 0) notes.push(`${row.logLines} log lines`);
    return [
      row.name,
      rate(row.result.okPerSecond),
      ms(row.result.p50),
      ms(row.result.p99),
      ratio(row.result.okPerSecond, bare.result.okPerSecond),
      ratio(row.result.okPerSecond, classic.result.okPerSecond),
      notes.filter(Boolean).join("; "),
    ];
  });
  const checks: TargetCheck[] = [];
  if (portcullisRow) {
    const p = portcullisRow.result.okPerSecond;
    checks.push(atLeast("Portcullis ≥ 70% of bare node:http", p, bare.result.okPerSecond, 0.7));
    checks.push(atLeast("Portcullis ≥ 1.4× Express + jsonwebtoken", p, classic.result.okPerSecond, 1.4));
  }
  return {
    title: `GET /v1/me, ES256 bearer token (${options.connections} connections, ${options.duration} s each)`,
    table: table(
      ["target", "req/s (200)", "p50 ms", "p99 ms", "vs bare", "vs Express", "other responses"],
      body,
    ),
    checks,
  };
}
