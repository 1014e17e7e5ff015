import type { TargetCheck } from "../lib/format.js";

export interface BenchOptions {
  /** Seconds of each measured run. */
  duration: number;
  /** Seconds of the warm-up before each measured run. */
  warmup: number;
  /** Rounds: each measures every target once; the report gives medians. */
  rounds: number;
  /** Connections of each full-load run. */
  connections: number;
  /** Connections of the login storm (default: `connections`). */
  loginConnections: number;
  /** Run against Portcullis (false: baselines only, with a self-signed token). */
  portcullis: boolean;
  /** Path of the server's entry point. */
  server: string;
  /**
   * Distinct tokens for the extra Portcullis run in which every request misses its cache of
   * verified tokens (10 000 entries); 0 skips that run.
   */
  coldTokens: number;
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
  /** Measured runs, and how many of them other processes disturbed. */
  runs: number;
  disturbed: number;
}
