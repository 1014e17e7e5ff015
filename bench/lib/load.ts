// Load generation with autocannon's programmatic API, in the bench process.
// Latencies are collected from autocannon's `response` events (float milliseconds), not from its
// HDR histogram, which has a 1 ms resolution and, with `overallRate`, applies a coordinated-omission
// correction with an expected interval of ceil(1 / rate) = 1 ms (it should be 1000 / rate ms),
// which inflates every percentile of a rate-limited run.
import autocannon, { type RequestSpec } from "autocannon";
import { cpuSnapshot, otherCpuShare } from "./cpu.js";

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Called per request to vary it (e.g. round-robin users); runs in the bench process. */
  setupRequest?: RequestSpec["setupRequest"];
  /** Requests per second across all connections (open-loop probe); unlimited if absent. */
  overallRate?: number;
  /** The status that counts as success (default 200). */
  okStatus?: number;
  /** Hard cap on requests, so that every loop is bounded in count as well as in time. */
  maxRequests?: number;
}

export interface LoadResult {
  /** Wall-clock seconds of the measured run, as autocannon reports it. */
  seconds: number;
  ok: number;
  okPerSecond: number;
  total: number;
  byStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Latencies of successful responses, milliseconds. */
  p50: number;
  p99: number;
  max: number;
  /** Share of the machine's CPU that processes outside the bench used during the run. */
  otherCpu: number | undefined;
}

const MAX_SAMPLES = 5_000_000;

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const okStatus = options.okStatus ?? 200;
  const cap =
    options.maxRequests ??
    Math.max(options.connections, Math.ceil((options.overallRate ?? 50_000) * options.duration * 1.5));
  const latencies: number[] = [];
  const request: RequestSpec = { method: options.method ?? "GET" };
  if (options.headers) request.headers = options.headers;
  if (options.body !== undefined) request.body = options.body;
  if (options.setupRequest) request.setupRequest = options.setupRequest;

  const before = cpuSnapshot();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    timeout: 10,
    maxOverallRequests: cap,
    requests: [request],
    ...(options.overallRate ? { overallRate: options.overallRate, ignoreCoordinatedOmission: true } : {}),
  });
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === okStatus && latencies.length < MAX_SAMPLES) latencies.push(responseTime);
  });
  const result = await instance;
  const otherCpu = otherCpuShare(before, cpuSnapshot());

  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    byStatus[code] = Number(count);
    total += Number(count);
  }
  const ok = byStatus[String(okStatus)] ?? 0;
  const sorted = Float64Array.from(latencies).sort();
  return {
    seconds: result.duration,
    ok,
    okPerSecond: ok / result.duration,
    total,
    byStatus,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    otherCpu,
  };
}

/** A warm-up run (results discarded) followed by the measured run. */
export async function warmThenMeasure(options: LoadOptions, warmupSeconds: number): Promise<LoadResult> {
  if (warmupSeconds > 0) await runLoad({ ...options, duration: warmupSeconds });
  return runLoad(options);
}

export function describeStatuses(r: LoadResult, okStatus = 200): string {
  const others = Object.entries(r.byStatus)
    .filter(([code]) => code !== String(okStatus))
    .map(([code, n]) => `${n}×${code}`);
  if (r.errors) others.push(`${r.errors} errors (${r.timeouts} timeouts)`);
  return others.join(", ");
}
