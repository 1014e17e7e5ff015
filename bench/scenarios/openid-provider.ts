// Scenario "openid-provider" (issue 14): Portcullis as an OpenID provider against a bare
// `oidc-provider` (baselines/bare-oidc-provider.ts: the same library and version, its default
// in-memory adapter, the same ES256 signing work), each in a process of its own, one at a time:
//   1. client credentials: autocannon POSTs /oauth2/token (Basic auth, grant_type=client_credentials,
//      scope=bench:read); only 200s count;
//   2. the authorization code flow of a signed-in browser whose consent is remembered, driven by
//      `--connections` concurrent browsers (lib/flow-browser.ts: cookies, one request at a time)
//      plus the client's token request; complete flows per second, and the requests each took:
//      (a) the browser keeps every cookie (the provider's session too): single sign-on;
//      (b) the browser keeps only its sign-in (Portcullis's `pc_session`; nothing for the bare
//          provider) and drops the provider's session after each flow, so every flow goes through
//          the interactions: login (from the Portcullis session, or the fixed account) and the
//          remembered consent.
// Portcullis runs with its defaults (lib/portcullis.ts) plus the one API scope the client-credentials
// request asks for (PORTCULLIS_SCOPES), one user, and one confidential client made with the CLI.
import { createHash, createPublicKey, type JsonWebKey, randomBytes, verify } from "node:crypto";
import { Agent } from "node:http";
import { cpus } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, freePort, startTarget, type Target, tsArgs } from "../lib/child.js";
import { cpuSnapshot, otherCpuShare, processTicks } from "../lib/cpu.js";
import { FlowBrowser, send } from "../lib/flow-browser.js";
import { DISTURBED, ms, otherCpu, rate, table, times } from "../lib/format.js";
import { describeStatuses, type LoadResult, percentile, runLoad } from "../lib/load.js";
import { type Credentials, type Portcullis, preparePortcullis, registerUser } from "../lib/portcullis.js";
import { median, ratios } from "../lib/stats.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const SCOPE = "bench:read";
const FLOW_SCOPE = "openid email";
const REDIRECT_URI = "https://app.example.com/callback";
/** Every loop is bounded in count as well as in time. */
const MAX_FLOWS = 1_000_000;
/** Where the provider scopes the cookies of one interaction (`/interaction/:uid`, the resume URL). */
const FLOW_PATHS = ["/interaction/", "/oauth2/authorize/"];
/** A run stops early after this many failed flows. */
const MAX_FAILURES = 50;

/**
 * Runs `work` and measures the CPU the target's process used meanwhile, in cores (1 = one core
 * busy the whole time): what the server itself costs, apart from the load generator beside it.
 */
async function withServerCpu<T>(
  target: Target,
  work: () => Promise<T>,
): Promise<{ value: T; cores: number }> {
  const pid = target.child.pid ?? -1;
  const before = { machine: cpuSnapshot(), own: processTicks(pid) };
  const value = await work();
  const after = { machine: cpuSnapshot(), own: processTicks(pid) };
  if (!before.machine || !after.machine || before.own === undefined || after.own === undefined) {
    return { value, cores: Number.NaN };
  }
  const elapsedCoreTicks = (after.machine.total - before.machine.total) / cpus().length;
  return { value, cores: elapsedCoreTicks > 0 ? (after.own - before.own) / elapsedCoreTicks : Number.NaN };
}

interface TokenRun {
  result: LoadResult;
  /** CPU the server used during the run, in cores. */
  cores: number;
}

interface OidcTarget {
  name: string;
  clientId: string;
  clientSecret: string;
  /** Cookies a browser keeps when it drops the provider's session (its sign-in). */
  signInCookies: string[];
  start(label: string): Promise<Target>;
  /** Signs a fresh browser in (Portcullis: a cookie login); nothing for the bare provider. */
  signIn(target: Target, browser: FlowBrowser): Promise<void>;
}

interface FlowRun {
  flowsPerSecond: number;
  flows: number;
  requestsPerFlow: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure: string | undefined;
  /** The requests of the measured flows, e.g. "authorize → token", and how many took each path. */
  paths: Map<string, number>;
  otherCpu: number | undefined;
  /** Share of one core the driver (this process) used: it shares the machine with the target. */
  driverCpu: number;
  /** CPU the server used during the run, in cores. */
  cores: number;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

function jwtPart(token: string, index: number): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(token.split(".")[index] ?? "", "base64url").toString("utf8"));
  if (value === null || typeof value !== "object") throw new Error("not a JWT");
  return value as Record<string, unknown>;
}

/** Verifies an ES256 JWT against `jwks` (the target's own); its header and claims, or throws. */
function verifyEs256(token: string, jwks: { keys: (JsonWebKey & { kid?: string })[] }, what: string) {
  const header = jwtPart(token, 0);
  const claims = jwtPart(token, 1);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (header.alg !== "ES256" || jwk === undefined) throw new Error(`${what}: not ES256 with a published kid`);
  const dot = token.lastIndexOf(".");
  const valid = verify(
    "sha256",
    Buffer.from(token.slice(0, dot)),
    { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" },
    Buffer.from(token.slice(dot + 1), "base64url"),
  );
  if (!valid) throw new Error(`${what}: the signature does not verify with the JWKS`);
  return { header, claims };
}

async function jwksOf(target: Target) {
  const res = await fetch(`${target.baseUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200)
    throw new Error(`${target.name}: GET /.well-known/jwks.json answered ${res.status}`);
  return (await res.json()) as { keys: (JsonWebKey & { kid?: string })[] };
}

async function clientCredentials(target: Target, t: OidcTarget, secret = t.clientSecret) {
  const res = await fetch(`${target.baseUrl}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: basic(t.clientId, secret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}

/** The right secret gets an ES256 RFC 9068 token that verifies; a wrong one gets 401. */
async function checkClientCredentials(target: Target, t: OidcTarget): Promise<void> {
  const good = await clientCredentials(target, t);
  if (good.status !== 200)
    throw new Error(`${t.name}: client credentials answered ${good.status}: ${good.text}`);
  const body = JSON.parse(good.text) as { access_token?: string; scope?: string };
  const { header, claims } = verifyEs256(
    String(body.access_token),
    await jwksOf(target),
    `${t.name} access token`,
  );
  if (header.typ !== "at+jwt" || claims.client_id !== t.clientId || claims.scope !== SCOPE || !claims.aud) {
    throw new Error(`${t.name}: unexpected access token ${JSON.stringify({ header, claims })}`);
  }
  const bad = await clientCredentials(target, t, `${t.clientSecret}x`);
  if (bad.status !== 401) throw new Error(`${t.name}: a wrong client secret answered ${bad.status}, not 401`);
}

async function measureClientCredentials(
  t: OidcTarget,
  options: BenchOptions,
  label: string,
): Promise<TokenRun> {
  const target = await t.start(label);
  try {
    await checkClientCredentials(target, t);
    process.stderr.write(
      `openid-provider: ${label}: ${options.warmup} s warm-up, ${options.duration} s measured\n`,
    );
    const load = {
      url: `${target.baseUrl}/oauth2/token`,
      method: "POST" as const,
      connections: options.connections,
      duration: options.duration,
      headers: {
        authorization: basic(t.clientId, t.clientSecret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`,
    };
    if (options.warmup > 0) await runLoad({ ...load, duration: options.warmup });
    const { value: result, cores } = await withServerCpu(target, () => runLoad(load));
    return { result, cores };
  } finally {
    await target.stop();
  }
}

interface FlowResult {
  requests: number;
  steps: string[];
  accessToken: string;
  idToken: string;
  nonce: string;
}

/** A request's step, for the flow's description. */
function step(url: URL): string {
  if (url.pathname.startsWith("/interaction/")) return "interaction";
  if (url.pathname === "/oauth2/authorize") return "authorize";
  if (url.pathname.startsWith("/oauth2/authorize/")) return "resume";
  return url.pathname;
}

/**
 * One code flow with PKCE: the browser from the authorization request to the redirect back to the
 * app (not requested: it is the app's), then the app's token request. `consent` answers a consent
 * page with "Allow" (set-up only); under load a page is a failure.
 */
async function codeFlow(
  browser: FlowBrowser,
  clientAgent: Agent,
  target: Target,
  t: OidcTarget,
  consent = false,
): Promise<FlowResult> {
  const verifier = randomBytes(32).toString("base64url");
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  let url = new URL(`${target.baseUrl}/oauth2/authorize`);
  url.search = new URLSearchParams({
    client_id: t.clientId,
    response_type: "code",
    scope: FLOW_SCOPE,
    redirect_uri: REDIRECT_URI,
    state,
    nonce,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  }).toString();
  const steps: string[] = [];
  let code: string | null = null;
  for (let hop = 0; code === null; hop++) {
    if (hop === 10) throw new Error(`no redirect back to the app after 10 requests (${steps.join(" → ")})`);
    let answer = await browser.request("GET", url);
    steps.push(step(url));
    if (consent && answer.status === 200 && url.pathname.startsWith("/interaction/")) {
      const csrf = /name="_csrf" value="([^"]+)"/.exec(answer.body)?.[1];
      if (csrf === undefined)
        throw new Error(`no consent form at ${url.pathname}: ${answer.body.slice(0, 300)}`);
      answer = await browser.request("POST", new URL(`${url.pathname}/consent`, url), {
        _csrf: csrf,
        decision: "allow",
      });
      steps.push("consent");
    }
    if (answer.status < 300 || answer.status >= 400 || answer.location === undefined) {
      throw new Error(`GET ${url.pathname} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    const next = new URL(answer.location);
    if (next.href.startsWith(REDIRECT_URI)) {
      if (next.searchParams.get("state") !== state)
        throw new Error(`came back with the wrong state: ${next.href}`);
      code = next.searchParams.get("code");
      if (code === null) throw new Error(`came back without a code: ${next.href}`);
    } else {
      url = next;
    }
  }
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  }).toString();
  const res = await send(
    clientAgent,
    "POST",
    new URL(`${target.baseUrl}/oauth2/token`),
    {
      authorization: basic(t.clientId, t.clientSecret),
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(body)),
    },
    body,
  );
  steps.push("token");
  if (res.status !== 200)
    throw new Error(`the token request answered ${res.status}: ${res.body.slice(0, 300)}`);
  const tokens = JSON.parse(res.body) as { access_token?: unknown; id_token?: unknown };
  if (typeof tokens.access_token !== "string" || typeof tokens.id_token !== "string") {
    throw new Error(`the token response lacks a token: ${res.body.slice(0, 300)}`);
  }
  return { requests: steps.length, steps, accessToken: tokens.access_token, idToken: tokens.id_token, nonce };
}

/** The flow's tokens verify with the target's JWKS and say what they should. */
async function checkFlow(target: Target, t: OidcTarget, flow: FlowResult): Promise<void> {
  const jwks = await jwksOf(target);
  const access = verifyEs256(flow.accessToken, jwks, `${t.name} access token`);
  const id = verifyEs256(flow.idToken, jwks, `${t.name} ID token`);
  if (access.header.typ !== "at+jwt" || access.claims.client_id !== t.clientId || !access.claims.aud) {
    throw new Error(`${t.name}: unexpected access token ${JSON.stringify(access)}`);
  }
  if (id.claims.aud !== t.clientId || id.claims.nonce !== flow.nonce) {
    throw new Error(`${t.name}: unexpected ID token ${JSON.stringify(id.claims)}`);
  }
}

/** Flows from every browser, back to back, for `seconds`. */
async function driveFlows(
  browsers: FlowBrowser[],
  clientAgent: Agent,
  target: Target,
  t: OidcTarget,
  seconds: number,
  keepProviderSession: boolean,
): Promise<FlowRun> {
  const latencies: number[] = [];
  let requests = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const paths = new Map<string, number>();
  const before = cpuSnapshot();
  const driverBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    browsers.map(async (browser) => {
      while (performance.now() < deadline && latencies.length < MAX_FLOWS && failures < MAX_FAILURES) {
        const begin = performance.now();
        try {
          const flow = await codeFlow(browser, clientAgent, target, t);
          latencies.push(performance.now() - begin);
          requests += flow.requests;
          const path = flow.steps.join(" → ");
          paths.set(path, (paths.get(path) ?? 0) + 1);
          browser.forgetPathsUnder(FLOW_PATHS);
          if (!keepProviderSession) browser.retain(t.signInCookies);
        } catch (error) {
          failures++;
          firstFailure ??= error instanceof Error ? error.message : String(error);
          browser.retain(t.signInCookies);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const otherCpuUsed = otherCpuShare(before, cpuSnapshot());
  const driver = process.cpuUsage(driverBefore);
  const sorted = Float64Array.from(latencies).sort();
  return {
    flowsPerSecond: latencies.length / elapsed,
    flows: latencies.length,
    requestsPerFlow: latencies.length === 0 ? Number.NaN : requests / latencies.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    failures,
    firstFailure,
    paths,
    otherCpu: otherCpuUsed,
    driverCpu: (driver.user + driver.system) / 1e6 / elapsed,
    cores: Number.NaN,
  };
}

async function measureFlows(
  t: OidcTarget,
  options: BenchOptions,
  label: string,
  keepProviderSession: boolean,
): Promise<FlowRun> {
  const target = await t.start(label);
  const browsers = Array.from({ length: options.connections }, () => new FlowBrowser());
  const clientAgent = new Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    for (const browser of browsers) await t.signIn(target, browser);
    // The first flow may meet the consent page (Portcullis remembers the answer from then on).
    const first = browsers[0];
    if (first === undefined) throw new Error("no browser");
    await checkFlow(target, t, await codeFlow(first, clientAgent, target, t, true));
    first.forgetPathsUnder(FLOW_PATHS);
    if (!keepProviderSession) first.retain(t.signInCookies);
    process.stderr.write(
      `openid-provider: ${label}: ${options.warmup} s warm-up, ${options.duration} s measured\n`,
    );
    if (options.warmup > 0)
      await driveFlows(browsers, clientAgent, target, t, options.warmup, keepProviderSession);
    const { value: measured, cores } = await withServerCpu(target, () =>
      driveFlows(browsers, clientAgent, target, t, options.duration, keepProviderSession),
    );
    const run = { ...measured, cores };
    if (run.flows === 0) throw new Error(`${t.name}: no flow completed: ${run.firstFailure ?? "?"}`);
    // Still working after the run.
    await checkFlow(target, t, await codeFlow(first, clientAgent, target, t));
    return run;
  } finally {
    for (const browser of browsers) browser.close();
    clientAgent.destroy();
    await target.stop();
  }
}

async function cookieLogin(target: Target, browser: FlowBrowser, creds: Credentials): Promise<void> {
  const url = new URL(`${target.baseUrl}/v1/auth/login`);
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...creds, transport: "cookie" }),
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`cookie login answered ${res.status}`);
  browser.keep(url, res.headers.getSetCookie());
  if (!browser.cookieNames().includes("pc_session")) throw new Error("the cookie login set no pc_session");
}

async function portcullisTarget(
  options: BenchOptions,
): Promise<{ target: OidcTarget; installation: Portcullis }> {
  const installation = await preparePortcullis(options.server, options.verbose, { PORTCULLIS_SCOPES: SCOPE });
  try {
    const out = await installation.cli([
      "clients",
      "create",
      "--name",
      "Bench app",
      "--type",
      "confidential",
      "--grant",
      "client_credentials",
      "--grant",
      "authorization_code",
      "--redirect-uri",
      REDIRECT_URI,
      "--scope",
      `${FLOW_SCOPE} ${SCOPE}`,
    ]);
    const created = JSON.parse(out) as { client?: { id?: string }; clientSecret?: string };
    const clientId = created.client?.id;
    const clientSecret = created.clientSecret;
    if (typeof clientId !== "string" || typeof clientSecret !== "string") {
      throw new Error(`clients create printed no id and secret: ${out.slice(0, 300)}`);
    }
    const setup = await installation.start();
    let creds: Credentials;
    try {
      creds = await registerUser(setup.baseUrl, "oidc");
    } finally {
      await setup.stop();
    }
    return {
      installation,
      target: {
        name: "Portcullis (SQLite)",
        clientId,
        clientSecret,
        signInCookies: ["pc_session"],
        start: () => installation.start(),
        signIn: (target, browser) => cookieLogin(target, browser, creds),
      },
    };
  } catch (error) {
    installation.dispose();
    throw error;
  }
}

function bareTarget(options: BenchOptions): OidcTarget {
  const clientId = "bench-app";
  const clientSecret = randomBytes(32).toString("base64url");
  return {
    name: "bare oidc-provider (in-memory)",
    clientId,
    clientSecret,
    signInCookies: [],
    async start(label) {
      const port = await freePort();
      return startTarget({
        name: label,
        args: tsArgs(join(BENCH_DIR, "baselines/bare-oidc-provider.ts")),
        port,
        verbose: options.verbose,
        env: {
          PORT: String(port),
          HOST: "127.0.0.1",
          NODE_ENV: "production",
          BENCH_CLIENT_ID: clientId,
          BENCH_CLIENT_SECRET: clientSecret,
          BENCH_REDIRECT_URI: REDIRECT_URI,
          BENCH_SCOPE: SCOPE,
        },
      });
    },
    signIn: async () => {},
  };
}

/** The paths the measured flows took: "a → b" when all took one, else each with its count. */
function pathsOf(runs: readonly FlowRun[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) for (const [path, n] of run.paths) counts.set(path, (counts.get(path) ?? 0) + n);
  if (counts.size <= 1) return [...counts.keys()].join("");
  return [...counts].map(([path, n]) => `${n}× ${path}`).join(", ");
}

export async function runOpenIdProvider(options: BenchOptions): Promise<ScenarioReport> {
  if (!options.portcullis)
    throw new Error('scenario "openid-provider" needs Portcullis (drop --no-portcullis)');
  const { target: portcullis, installation } = await portcullisTarget(options);
  try {
    const bare = bareTarget(options);
    const targets = [portcullis, bare];
    const tokens = targets.map(() => [] as TokenRun[]);
    const sso = targets.map(() => [] as FlowRun[]);
    const fresh = targets.map(() => [] as FlowRun[]);
    for (let round = 1; round <= options.rounds; round++) {
      const of = options.rounds > 1 ? `, round ${round}/${options.rounds}` : "";
      for (const [i, t] of targets.entries()) {
        tokens[i]?.push(await measureClientCredentials(t, options, `${t.name}, client credentials${of}`));
      }
      for (const [i, t] of targets.entries()) {
        sso[i]?.push(await measureFlows(t, options, `${t.name}, code flow, single sign-on${of}`, true));
      }
      for (const [i, t] of targets.entries()) {
        fresh[i]?.push(
          await measureFlows(t, options, `${t.name}, code flow, through the interactions${of}`, false),
        );
      }
    }

    const perRound = (values: number[]) =>
      options.rounds > 1 ? `per round ${values.map(rate).join(", ")}` : "";
    /** Work per second of server CPU: the rate divided by the cores the server kept busy. */
    const perCpuSecond = (values: { rate: number; cores: number }[]) =>
      rate(median(values.map((v) => v.rate / v.cores)));
    const tokenRate = (i: number) => (tokens[i] ?? []).map((r) => r.result.okPerSecond);
    const tokenRows = targets.map((t, i) => {
      const runs = tokens[i] ?? [];
      const cellNotes = [perRound(tokenRate(i)), ...runs.map((r) => describeStatuses(r.result))].filter(
        Boolean,
      );
      return [
        t.name,
        rate(median(tokenRate(i))),
        ms(median(runs.map((r) => r.result.p50))),
        ms(median(runs.map((r) => r.result.p99))),
        times(median(ratios(tokenRate(i), tokenRate(1)))),
        median(runs.map((r) => r.cores)).toFixed(2),
        perCpuSecond(runs.map((r) => ({ rate: r.result.okPerSecond, cores: r.cores }))),
        otherCpu(runs.map((r) => r.result.otherCpu)),
        cellNotes.join("; "),
      ];
    });
    const flowRows = (runs: FlowRun[][], what: string) =>
      targets.map((t, i) => {
        const own = runs[i] ?? [];
        const rates = own.map((r) => r.flowsPerSecond);
        const bareRates = (runs[1] ?? []).map((r) => r.flowsPerSecond);
        const failures = own.map((r) => r.failures).reduce((a, b) => a + b, 0);
        const first = own.find((r) => r.firstFailure !== undefined)?.firstFailure;
        const cellNotes = [
          perRound(rates),
          pathsOf(own),
          `driver ${Math.round(median(own.map((r) => r.driverCpu)) * 100)}% of a core`,
          failures > 0 ? `${failures} failed flows (${first?.slice(0, 120) ?? "?"})` : "",
        ].filter(Boolean);
        return [
          `${t.name}, ${what}`,
          rate(median(rates)),
          rate(median(own.map((r) => r.requestsPerFlow))),
          rate(median(own.map((r) => r.flowsPerSecond * r.requestsPerFlow))),
          ms(median(own.map((r) => r.p50))),
          ms(median(own.map((r) => r.p99))),
          times(median(ratios(rates, bareRates))),
          median(own.map((r) => r.cores)).toFixed(2),
          perCpuSecond(own.map((r) => ({ rate: r.flowsPerSecond, cores: r.cores }))),
          otherCpu(own.map((r) => r.otherCpu)),
          cellNotes.join("; "),
        ];
      });
    const shares = [
      ...tokens.flat().map((r) => r.result.otherCpu),
      ...sso.flat().map((r) => r.otherCpu),
      ...fresh.flat().map((r) => r.otherCpu),
    ];
    const what = options.rounds > 1 ? `medians of ${options.rounds} rounds, ` : "";
    return {
      title: `OpenID provider: client credentials and the code flow (${what}${options.connections} connections or browsers, ${options.duration} s per run)`,
      table: `${table(
        [
          "client credentials",
          "tokens/s (200)",
          "p50 ms",
          "p99 ms",
          "vs bare",
          "server CPU (cores)",
          "tokens per CPU-second",
          "other CPU",
          "notes",
        ],
        tokenRows,
      )}\n\n${table(
        [
          "code flow",
          "flows/s",
          "requests per flow",
          "req/s",
          "flow p50 ms",
          "flow p99 ms",
          "vs bare",
          "server CPU (cores)",
          "flows per CPU-second",
          "other CPU",
          "notes",
        ],
        [...flowRows(sso, "single sign-on"), ...flowRows(fresh, "through the interactions")],
      )}`,
      checks: [],
      notes: [
        `Client credentials: POST /oauth2/token, Basic auth, scope ${SCOPE}, ES256 JWT access tokens. ` +
          `Code flow: PKCE S256, scope "${FLOW_SCOPE}", one ES256 ID token and one ES256 JWT access token per flow; ` +
          "the redirect back to the app is not requested (it is the app's), the token request is counted. " +
          '"Server CPU" is the CPU time of the target\'s process over the measured run (1.00 = one core busy throughout).',
      ],
      runs: shares.length,
      disturbed: shares.filter((x) => x !== undefined && x >= DISTURBED).length,
    };
  } finally {
    installation.dispose();
  }
}
