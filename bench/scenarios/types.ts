import type { TargetCheck } from "../lib/format.js";

export interface BenchOptions {
  /** Seconds of each measured run. */
  duration: number;
  /** Seconds of the warm-up before each measured run. */
  warmup: number;
  /** Connections of each full-load run. */
  connections: number;
  /** Run against Portcullis (false: baselines only, with a self-signed token). */
  portcullis: boolean;
  /** Path of the server's entry point. */
  server: string;
  /** Pre-registered users the login storm cycles through. */
  users: number;
  /** Requests/s of the GET /v1/me latency probe in the login scenario. */
  probeRate: number;
  /** Connections of the latency probe. */
  probeConnections: number;
  /** Argon2 verifications in flight for the bare hash rate (one per core). */
  hashConcurrency: number;
  verbose: boolean;
}

export interface ScenarioReport {
  title: string;
  table: string;
  checks: TargetCheck[];
  notes?: string[];
}
