// Scenario "pages": the pages for people.
//   (a) The sign-in page's weight: the HTML and every stylesheet and script it links, as a browser
//       that accepts gzip receives them, against Keycloak's stock login page, whose three
//       PatternFly stylesheets alone weigh ~1,739 KiB (keycloak/keycloak#48994, May 2026).
//   (b) GET /login: requests/s and time to first byte (p50/p99, one connection) against a bare
//       node:http server sending the same bytes (static; no session lookup, no rendering).
//   (c) GET /account of a user with 50 live sessions and ~200 security events, signed in with a
//       cookie: the same, against the same bare server sending that page's bytes.
// Portcullis runs with the default configuration (lib/portcullis.ts). Each round measures the
// targets one after the other; the tables give medians.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  BENCH_DIR,
  freePort,
  makeTmpDir,
  removeTmpDir,
  startTarget,
  type Target,
  tsArgs,
} from "../lib/child.js";
import { ms, rate, type TargetCheck, table, times } from "../lib/format.js";
import { runLoad } from "../lib/load.js";
import { type Credentials, preparePortcullis, registerUser } from "../lib/portcullis.js";
import { median, ratios } from "../lib/stats.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const KEYCLOAK_LOGIN_CSS_KIB = 1_739;
const ACCOUNT_SESSIONS = 50;
const ACCOUNT_FAILED_LOGINS = 150;

interface PageSample {
  rps: number;
  p50: number;
  p99: number;
}

async function cookieLogin(baseUrl: string, creds: Credentials): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...creds, transport: "cookie" }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("pc_session="));
  if (res.status !== 200 || cookie === undefined) throw new Error(`cookie login answered ${res.status}`);
  return cookie.split(";")[0] ?? "";
}

/** The bytes of `path` and of each asset it links, as sent to a browser that accepts gzip. */
async function pageWeight(baseUrl: string, path: string, cookie?: string) {
  const headers: Record<string, string> = { "accept-encoding": "gzip" };
  if (cookie !== undefined) headers.cookie = cookie;
  const res = await fetch(`${baseUrl}${path}`, { headers });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
  const sizes: Record<string, number> = {};
  for (const asset of assets) {
    // fetch() decodes gzip; the Content-Length header is the size on the wire.
    const r = await fetch(`${baseUrl}${asset}`, { headers: { "accept-encoding": "gzip" } });
    await r.arrayBuffer();
    sizes[asset] = Number(r.headers.get("content-length"));
  }
  return { html, htmlBytes: Buffer.byteLength(html), htmlGzipBytes: gzipSync(html).length, assets: sizes };
}

async function measure(
  target: Target,
  path: string,
  options: BenchOptions,
  cookie?: string,
): Promise<PageSample> {
  const headers = cookie === undefined ? undefined : { cookie };
  const base = { url: `${target.baseUrl}${path}`, ...(headers === undefined ? {} : { headers }) };
  await runLoad({ ...base, connections: options.connections, duration: options.warmup });
  const load = await runLoad({ ...base, connections: options.connections, duration: options.duration });
  const latency = await runLoad({
    ...base,
    connections: 1,
    duration: Math.max(2, Math.ceil(options.duration / 2)),
  });
  if (load.ok === 0 || latency.ok === 0) throw new Error(`${target.name} ${path}: no successful answer`);
  return { rps: load.okPerSecond, p50: latency.p50, p99: latency.p99 };
}

export async function runPages(options: BenchOptions): Promise<ScenarioReport> {
  const portcullis = await preparePortcullis(options.server, options.verbose);
  const dir = makeTmpDir("portcullis-bench-pages-");
  const samples = {
    login: [] as PageSample[],
    loginBare: [] as PageSample[],
    account: [] as PageSample[],
    accountBare: [] as PageSample[],
  };
  const checks: TargetCheck[] = [];
  let weightRows: string[][] = [];
  let totalKiB = 0;
  let accountEvents = 0;
  try {
    let server = await portcullis.start();
    const creds = await registerUser(server.baseUrl, "pages");
    let cookie = "";
    for (let i = 0; i < ACCOUNT_SESSIONS; i++) cookie = await cookieLogin(server.baseUrl, creds);
    for (let i = 0; i < ACCOUNT_FAILED_LOGINS; i++) {
      await fetch(`${server.baseUrl}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: creds.email, password: `${creds.password}-wrong` }),
      }).then((r) => r.arrayBuffer());
    }
    // Stored: the registration, every sign-in and every failure (the page lists the newest 20).
    accountEvents = 1 + ACCOUNT_SESSIONS + ACCOUNT_FAILED_LOGINS;

    const login = await pageWeight(server.baseUrl, "/login");
    const account = await pageWeight(server.baseUrl, "/account", cookie);
    const assetBytes = Object.values(login.assets).reduce((a, b) => a + b, 0);
    totalKiB = (login.htmlBytes + assetBytes) / 1024;
    weightRows = [
      [
        "HTML (sent uncompressed)",
        `${(login.htmlBytes / 1024).toFixed(1)} KiB`,
        `${(login.htmlGzipBytes / 1024).toFixed(1)} KiB if gzipped`,
      ],
      ...Object.entries(login.assets).map(([url, bytes]) => [
        url.replace(/-[\w-]{8,10}\./, "."),
        `${(bytes / 1024).toFixed(1)} KiB`,
        "gzip",
      ]),
      ["total over the wire", `${totalKiB.toFixed(1)} KiB`, ""],
      [
        "Keycloak login page, PatternFly CSS alone",
        `${KEYCLOAK_LOGIN_CSS_KIB} KiB`,
        "keycloak/keycloak#48994",
      ],
    ];
    const loginFile = join(dir, "login.html");
    const accountFile = join(dir, "account.html");
    writeFileSync(loginFile, login.html);
    writeFileSync(accountFile, account.html);
    await server.stop();

    for (let round = 0; round < options.rounds; round++) {
      server = await portcullis.start();
      samples.login.push(await measure(server, "/login", options));
      samples.account.push(await measure(server, "/account", options, cookie));
      await server.stop();
      for (const [file, into] of [
        [loginFile, samples.loginBare],
        [accountFile, samples.accountBare],
      ] as const) {
        const port = await freePort();
        const bare = await startTarget({
          name: "static-page",
          args: tsArgs(join(BENCH_DIR, "baselines/static-page.ts")),
          env: { PORT: String(port), BENCH_PAGE_FILE: file },
          port,
          verbose: options.verbose,
        });
        into.push(await measure(bare, "/", options));
        await bare.stop();
      }
    }
  } finally {
    portcullis.dispose();
    removeTmpDir(dir);
  }

  const row = (name: string, s: PageSample[], base: PageSample[]) => [
    name,
    rate(median(s.map((x) => x.rps))),
    times(
      median(
        ratios(
          s.map((x) => x.rps),
          base.map((x) => x.rps),
        ),
      ),
    ),
    ms(median(s.map((x) => x.p50))),
    ms(median(s.map((x) => x.p99))),
  ];
  const speed = table(
    ["target", "req/s", "vs bare static", "TTFB p50 ms (1 conn)", "p99 ms"],
    [
      row("GET /login", samples.login, samples.loginBare),
      row("bare node:http, same bytes", samples.loginBare, samples.loginBare),
      row(
        `GET /account (${ACCOUNT_SESSIONS} sessions, ${accountEvents} events stored)`,
        samples.account,
        samples.accountBare,
      ),
      row("bare node:http, same bytes", samples.accountBare, samples.accountBare),
    ],
  );
  checks.push({
    label: "sign-in page weight (HTML + CSS + JS over the wire)",
    pass: totalKiB < 60,
    detail: `${totalKiB.toFixed(1)} KiB; Keycloak's login CSS alone ${KEYCLOAK_LOGIN_CSS_KIB} KiB (${(KEYCLOAK_LOGIN_CSS_KIB / totalKiB).toFixed(0)}× more)`,
  });
  const renderMs = median(samples.account.map((s, i) => s.p50 - (samples.accountBare[i]?.p50 ?? 0)));
  checks.push({
    label: "GET /account: rendering adds at most 5 ms to the p50 of sending its bytes",
    pass: renderMs <= 5,
    detail: `${ms(renderMs)} ms over the bare server (p50, one connection)`,
  });
  return {
    title: "Pages: the sign-in page's weight, GET /login and GET /account",
    table: `${table(["part", "bytes", "note"], weightRows)}\n\n${speed}`,
    checks,
    runs: options.rounds * 4,
    disturbed: 0,
  };
}
