// The bare hash rate: `@node-rs/argon2` verify against one argon2id hash with the OWASP
// parameters (m=19456 KiB, t=2, p=1), with BENCH_CONCURRENCY verifications in flight (default 2,
// one per core), for BENCH_WARMUP seconds (discarded) and then BENCH_DURATION seconds.
// Bounded in time and in count (BENCH_MAX_VERIFICATIONS). Prints one JSON line:
// { verifications, seconds, perSecond, p50, p99, otherCpu } (latencies of one verify, in ms;
// otherCpu: the share of the machine other processes used meanwhile).
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import argon2 from "@node-rs/argon2";
import { cpuSnapshot, otherCpuShare } from "../lib/cpu.js";

const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 2);
const maxVerifications = Number(process.env.BENCH_MAX_VERIFICATIONS ?? 100_000);

const password = randomBytes(15).toString("base64url");
// algorithm defaults to argon2id (the const enum cannot be named under isolatedModules).
const hash = await argon2.hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
if (!hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"))
  throw new Error(`unexpected hash parameters: ${hash}`);

async function phase(seconds: number): Promise<{ count: number; elapsed: number; latencies: number[] }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const latencies: number[] = [];
  let count = 0;
  const lane = async () => {
    while (performance.now() < deadline && count < maxVerifications) {
      const t0 = performance.now();
      const ok = await argon2.verify(hash, password);
      if (!ok) throw new Error("verify returned false");
      latencies.push(performance.now() - t0);
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { count, elapsed: (performance.now() - start) / 1000, latencies };
}

if (warmup > 0) await phase(warmup);
const before = cpuSnapshot();
const { count, elapsed, latencies } = await phase(duration);
const otherCpu = otherCpuShare(before, cpuSnapshot());
latencies.sort((a, b) => a - b);
const pick = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.stdout.write(
  `${JSON.stringify({ verifications: count, seconds: elapsed, perSecond: count / elapsed, p50: pick(50), p99: pick(99), otherCpu })}\n`,
);
