/**
 * Keeps this instance's revocation set in step with the deployment. Events arrive over the bus;
 * SQL is the record. At start the set is loaded from SQL; while the bus is down SQL is polled
 * every `pollIntervalMs`, which keeps the one-second bound of the contract; when the bus is back,
 * what it may have missed is read once more and the polling stops. A slow reconciliation runs even
 * while the bus is up, in case a publisher lost an event the bus never saw.
 */
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import type { RevocationBus, RevocationSet } from "./revocation.js";
import { listRevocationsSince } from "./revocation-source.js";

export interface RevocationSyncDeps {
  persistence: Persistence;
  clock: Clock;
  revocations: RevocationSet;
  bus: RevocationBus;
  /** How far back a revocation still matters: the access-token lifetime plus leeway. */
  windowMs: number;
  /** Polling interval while the bus is down. */
  pollIntervalMs: number;
  /** Reconciliation interval while the bus is up. */
  reconcileIntervalMs: number;
  onError(error: unknown): void;
}

export interface RevocationSync {
  /** Whether revocations are polled from SQL because the bus is down. */
  readonly polling: boolean;
  stop(): void;
}

/** Instances' clocks differ, and a revocation commits a moment after it is stamped: read a little further back. */
const OVERLAP_MS = 5_000;

export async function startRevocationSync(deps: RevocationSyncDeps): Promise<RevocationSync> {
  const { persistence, clock, revocations, bus } = deps;
  let readUpTo = clock.now() - deps.windowMs;
  let inFlight: Promise<void> | null = null;
  let pollTimer: NodeJS.Timeout | null = null;

  /** Applies everything recorded since the last read (with overlap); one read at a time. */
  function catchUp(): Promise<void> {
    inFlight ??= (async () => {
      const startedAt = clock.now();
      try {
        const since = Math.max(readUpTo - OVERLAP_MS, startedAt - deps.windowMs);
        for (const event of await listRevocationsSince(persistence, since)) revocations.apply(event);
        readUpTo = startedAt;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }
  // While the database is away every poll fails: report the first failure, not every one.
  let failing = false;
  const catchUpQuietly = () =>
    catchUp().then(
      () => {
        failing = false;
      },
      (error: unknown) => {
        if (!failing) deps.onError(error);
        failing = true;
      },
    );

  function setPolling(on: boolean) {
    if (on && pollTimer === null) {
      pollTimer = setInterval(catchUpQuietly, deps.pollIntervalMs);
      pollTimer.unref();
    } else if (!on && pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  const unsubscribe = bus.subscribe((event) => revocations.apply(event));
  const stopWatching = bus.onConnectionChange((connected) => {
    setPolling(!connected);
    void catchUpQuietly();
  });
  const reconcileTimer = setInterval(catchUpQuietly, deps.reconcileIntervalMs);
  reconcileTimer.unref();
  await catchUp();
  setPolling(!bus.connected);

  return {
    get polling() {
      return pollTimer !== null;
    },
    stop() {
      setPolling(false);
      clearInterval(reconcileTimer);
      stopWatching();
      unsubscribe();
    },
  };
}
