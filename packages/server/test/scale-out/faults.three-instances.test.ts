/**
 * Faults under a mixed storm (sign-ups, token and cookie sign-ins, reads, refreshes, renames,
 * logouts) on three instances sharing one PostgreSQL schema and a Redis server of the test's own:
 * PostgreSQL's connections are killed, Redis is restarted, one instance is SIGKILLed. After each
 * fault: no answer was a 5xx other than 503, every surviving instance serves again without a
 * restart, no session is half-rotated (read from the database), no act that answered 2xx is
 * missing from the audit log, and the audit chain verifies.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../support/cluster.js";
import { type Storm, type StormTarget, startStorm } from "../support/mixed-storm.js";
import { type OwnRedisServer, startOwnRedisServer } from "../support/redis-server.js";
import {
  checkLedger,
  NOTHING_LOST,
  readPostgres,
  type TableReader,
  verifyChain,
} from "../support/storm-ledger-check.js";
import { STRONG_PASSWORD } from "../support/test-app.js";
import { POSTGRES_TEST_URL } from "../support/test-stores.js";

/** Virtual users: enough to keep requests in flight on every instance when the fault strikes. */
const USERS = 9;
/** 2xx answers before a fault, and from each surviving instance after it. */
const BEFORE = 30;
const RECOVERED = 10;
const WAIT_MS = 30_000;

let redis: OwnRedisServer;
let cluster: Cluster;
let reader: TableReader;
let targets: StormTarget[];

beforeAll(async () => {
  redis = await startOwnRedisServer();
  cluster = await startCluster(3, { REDIS_URL: redis.url });
  targets = cluster.instances.map((instance, i) => ({ name: "ABC".charAt(i), url: instance.url }));
  reader = await readPostgres(cluster.schema.url);
}, 120_000);
afterAll(async () => {
  await reader?.close();
  await cluster?.stop();
  await redis?.stop();
});

function storm(): Storm {
  return startStorm({
    targets: () => targets,
    host: new URL(cluster.env.PORTCULLIS_PUBLIC_URL ?? "").host,
    users: USERS,
    label: "faults",
    password: STRONG_PASSWORD,
  });
}

async function answersBeforeTheFault(running: Storm): Promise<void> {
  await running.until(() => running.succeeded() >= BEFORE, WAIT_MS, `${BEFORE} successes before the fault`);
}

/**
 * Waits until every instance still in `targets` has answered 2xx again, stops the storm, and
 * checks what it saw and what the database holds.
 */
async function expectRecoveredAndNothingLost(running: Storm, fault: string): Promise<void> {
  const survivors = [...targets];
  const before = new Map(survivors.map((target) => [target.name, running.succeeded(target.name)]));
  await running.until(
    () =>
      survivors.every(
        (target) => running.succeeded(target.name) >= (before.get(target.name) ?? 0) + RECOVERED,
      ),
    WAIT_MS,
    `${RECOVERED} successes from each of ${survivors.map((target) => target.name).join(", ")} after ${fault}`,
  );
  await running.stop();

  const seen = [...running.statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${count} × ${status === 0 ? "no answer" : status}`)
    .join(", ");
  const codes = [...new Set(running.serverErrors.map((sample) => `${sample.status} ${sample.code}`))];
  console.log(`${fault}: ${seen}${codes.length > 0 ? `; 5xx codes: ${codes.join(", ")}` : ""}`);
  expect(running.serverErrors.filter((sample) => sample.status !== 503)).toEqual([]);

  const findings = await checkLedger(reader, running.ledger);
  console.log(`${fault}: checked ${JSON.stringify(findings.checked)}`);
  expect(findings).toMatchObject(NOTHING_LOST);
  expect(findings.checked.logins).toBeGreaterThan(0);
  expect(findings.checked.logouts).toBeGreaterThan(0);
  expect(findings.checked.rotated).toBeGreaterThan(0);
  expect(await verifyChain(reader)).toMatchObject({ ok: true });
}

/** Ends every PostgreSQL connection of the cluster, as a database restart would; how many. */
async function terminateClusterConnections(): Promise<number> {
  const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1",
      [cluster.schema.name],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/**
 * Kills the cluster's connections again once the pools have opened new ones: answers that need
 * no database (a token verified locally) can succeed while none is open yet. Between tries, ten
 * more answers of the storm; the number killed by the last try.
 */
async function terminateOnceReconnected(running: Storm): Promise<number> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const killed = await terminateClusterConnections();
    if (killed > 0 || performance.now() > deadline) return killed;
    const next = running.succeeded() + 10;
    await running.until(() => running.succeeded() >= next, WAIT_MS, "successes while the pools reconnect");
  }
}

/** Asks /readyz until it names Redis ok (each answer is awaited); the last status seen after 10 s. */
async function redisCheckOnceReconnected(url: string): Promise<string | undefined> {
  const started = performance.now();
  for (;;) {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as {
      checks?: { redis?: { status?: string } };
    };
    const status = ready.checks?.redis?.status;
    if (status === "ok" || performance.now() - started > 10_000) return status;
  }
}

describe("faults under a mixed storm, three instances on PostgreSQL + Redis", () => {
  it("PostgreSQL's connections killed twice mid-storm: 503 at worst, then service, nothing lost", async () => {
    const running = storm();
    await answersBeforeTheFault(running);
    expect(await terminateClusterConnections()).toBeGreaterThan(0);
    await running.until(() => running.succeeded() >= BEFORE * 2, WAIT_MS, "successes between the two kills");
    expect(await terminateOnceReconnected(running)).toBeGreaterThan(0);
    await expectRecoveredAndNothingLost(running, "PostgreSQL connections killed");
  }, 60_000);

  it("Redis stopped and started mid-storm: service goes on, then recovers, nothing lost", async () => {
    const running = storm();
    await answersBeforeTheFault(running);
    await redis.stop();
    const whileDown = running.succeeded() + BEFORE;
    await running.until(() => running.succeeded() >= whileDown, WAIT_MS, "successes while Redis is down");
    await redis.start();
    await expectRecoveredAndNothingLost(running, "Redis restarted");
    // Each instance reconnects by itself: readiness names Redis ok again.
    for (const instance of cluster.instances)
      expect(await redisCheckOnceReconnected(instance.url)).toBe("ok");
  });

  it("one instance SIGKILLed mid-storm: the other two serve on, nothing lost, the CLI verifies the chain", async () => {
    const running = storm();
    await answersBeforeTheFault(running);
    const victim = cluster.instances[2];
    if (victim === undefined) throw new Error("the cluster has three instances");
    victim.process.child.kill("SIGKILL");
    expect((await victim.process.exited).signal).toBe("SIGKILL");
    // The load balancer's health check takes it out; requests sent meanwhile found no listener.
    targets = targets.slice(0, 2);
    await expectRecoveredAndNothingLost(running, "one instance SIGKILLed");

    const verified = await cluster.cli(["audit", "verify"]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    expect(verified.stderr).toMatch(/Audit chain intact: \d+ events/);
    expect(verified.code).toBe(0);
  }, 90_000);
});
