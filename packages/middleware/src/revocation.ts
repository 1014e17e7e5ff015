/**
 * Instant revocation for resource servers (opt-in). Portcullis publishes every revocation on a
 * Redis pub/sub channel, `<prefix>revocations`, one JSON event per message:
 *
 *   {"kind":"session","sessionId":"<sid>","at":<epoch ms>}   every token whose `sid` it is
 *   {"kind":"user","userId":"<sub>","at":<epoch ms>}         tokens of that `sub` with iat·1000 < at
 *
 * This listener subscribes to it and keeps, in memory, the revocations that can still affect an
 * unexpired token, so checking one costs two map lookups. Whenever it (re)subscribes it asks
 * Portcullis for what it may have missed (`GET /v1/auth/revocations?since=`), and it reconciles
 * that way now and then while subscribed. Without this listener a token lives until its `exp`
 * (at most the access-token lifetime, 15 minutes by default) whatever happens at Portcullis.
 *
 * While it is not in step with Portcullis (Redis down, or the catch-up failing) the revocations
 * it knows are still refused; `whenUnavailable` says what happens to the others: `"accept"`
 * (default; degrade to expiry-only) or `"refuse"` (503 until it is back).
 */
import type { Redis } from "ioredis";
import { createPortcullisClient } from "./portcullis-client.js";
import { type Clock, type ErrorReporter, systemClock } from "./types.js";

export type RevocationEvent =
  | { readonly kind: "session"; readonly sessionId: string; readonly at: number }
  | { readonly kind: "user"; readonly userId: string; readonly at: number };

/** `starting` until the first catch-up; `synced` while subscribed and caught up; `unsynced` otherwise. */
export type RevocationStatus = "starting" | "synced" | "unsynced" | "closed";

export type RevocationCheck = "ok" | "revoked" | "unavailable";

export interface RevocationListenerOptions {
  /** `redis://` or `rediss://` URL of the Redis Portcullis publishes on. */
  redisUrl: string;
  /** Portcullis's `PORTCULLIS_REDIS_PREFIX`; default `portcullis:`. */
  prefix?: string;
  /** Where this service reaches Portcullis, for the catch-up after a (re)connect. */
  portcullisUrl: string;
  /** An API key with the `introspect` scope (made by an administrator). */
  apiKey: string;
  /** What to do with tokens while not in step with Portcullis; default `"accept"`. */
  whenUnavailable?: "accept" | "refuse";
  /** The longest access-token lifetime Portcullis may be configured with; default 24 h. */
  maxTokenLifetimeSeconds?: number;
  /** How long the first requests wait for the first catch-up; default 5000 ms. */
  startupTimeoutMs?: number;
  /** Catch-up while subscribed, in case an event was lost; default 60 000 ms. */
  reconcileIntervalMs?: number;
  /** Timeout of each call to Portcullis; default 5000 ms. */
  timeoutMs?: number;
  /** The Redis connection's name (`CLIENT LIST`); default `portcullis-revocation-listener`. */
  connectionName?: string;
  clock?: Clock;
  onError?: ErrorReporter;
}

export interface RevocationListener {
  readonly status: RevocationStatus;
  /** Whether a token of this session and user, issued at `issuedAt` (seconds), is to be refused. */
  check(sessionId: string, userId: string, issuedAt: number): RevocationCheck;
  /** Whether the user was cut off (disabled or deleted) after `at` (ms). */
  userCutOffAfter(userId: string, at: number): boolean;
  /** Resolves at the first catch-up, or after `startupTimeoutMs`; never rejects. */
  ready(): Promise<void>;
  /** Told of every event applied (from the bus or a catch-up); returns the unsubscribe. */
  onEvent(listener: (event: RevocationEvent) => void): () => void;
  close(): Promise<void>;
}

const DEFAULT_PREFIX = "portcullis:";
const PREFIX_PATTERN = /^[A-Za-z0-9:_.-]{1,64}$/;
/** Portcullis refuses an access-token lifetime above 24 h; clock leeway on top. */
const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
const LEEWAY_MS = 60_000;
/** Portcullis instances' clocks differ and a revocation commits a moment after it is stamped. */
const CATCH_UP_OVERLAP_MS = 60_000;
const PRUNE_INTERVAL_MS = 60_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Subscribes to Portcullis's revocation channel. Needs the optional peer `ioredis`.
 *
 * @example
 * const revocations = createRevocationListener({
 *   redisUrl: "redis://redis.internal:6379",
 *   portcullisUrl: "http://portcullis.internal:3000",
 *   apiKey: process.env.PORTCULLIS_INTROSPECT_KEY!,
 * });
 * app.use(authenticate({ issuer, audience, revocations }));
 */
export function createRevocationListener(options: RevocationListenerOptions): RevocationListener {
  const problems = checkOptions(options);
  if (problems.length > 0) throw new Error(`createRevocationListener: ${problems.join("; ")}`);
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => {});
  const channel = `${options.prefix ?? DEFAULT_PREFIX}revocations`;
  const refuseWhenUnavailable = options.whenUnavailable === "refuse";
  const retentionMs =
    (options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS) * 1000 + LEEWAY_MS;
  const client = createPortcullisClient({
    url: options.portcullisUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 5_000,
  });

  const revokedSessions = new Map<string, number>();
  const userNotBefore = new Map<string, number>();
  const listeners = new Set<(event: RevocationEvent) => void>();
  let status: RevocationStatus = "starting";
  let subscribed = false;
  /** Portcullis's clock at the start of the last successful catch-up. */
  let caughtUpTo: number | null = null;
  let catchUpInFlight: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let retryDelay = RETRY_MIN_MS;
  let redis: Redis | null = null;
  let closed = false;
  let reportedDisconnect = false;

  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const startupTimer = setTimeout(markReady, options.startupTimeoutMs ?? 5_000);
  startupTimer.unref();

  function apply(event: RevocationEvent): void {
    if (event.kind === "session") {
      revokedSessions.set(event.sessionId, Math.max(event.at, revokedSessions.get(event.sessionId) ?? 0));
    } else {
      userNotBefore.set(event.userId, Math.max(event.at, userNotBefore.get(event.userId) ?? 0));
    }
    for (const listener of listeners) listener(event);
  }

  function setStatus(next: RevocationStatus): void {
    if (closed) return;
    status = next;
    if (next === "synced") {
      clearTimeout(startupTimer);
      markReady();
    }
  }

  /** Applies what Portcullis recorded since the last catch-up (with overlap); one at a time. */
  function catchUp(): Promise<void> {
    catchUpInFlight ??= (async () => {
      const since = caughtUpTo === null ? null : caughtUpTo - CATCH_UP_OVERLAP_MS;
      const outcome = await client.revocationsSince(since);
      const parsed = outcome.ok ? parseCatchUp(outcome.value) : null;
      if (parsed === null) {
        onError(
          new Error(
            outcome.ok
              ? "GET /v1/auth/revocations answered an unexpected body"
              : `GET /v1/auth/revocations failed (${outcome.status ?? "no answer"})`,
          ),
          "catching up with Portcullis's revocations",
        );
        if (status === "synced") setStatus("unsynced");
        scheduleRetry(outcome.ok ? undefined : outcome.retryAfter);
        return;
      }
      for (const event of parsed.events) apply(event);
      caughtUpTo = parsed.now;
      retryDelay = RETRY_MIN_MS;
      // Events published after the subscription but before this answer were applied as they came.
      if (subscribed) setStatus("synced");
    })().finally(() => {
      catchUpInFlight = null;
    });
    return catchUpInFlight;
  }

  function scheduleRetry(retryAfterSeconds?: number): void {
    if (closed || retryTimer !== null || !subscribed) return;
    const delay = Math.max(retryDelay, (retryAfterSeconds ?? 0) * 1000);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void catchUp();
    }, delay);
    retryTimer.unref();
  }

  async function start(): Promise<void> {
    const ioredis = await import("ioredis");
    const RedisClass = (ioredis.Redis ?? ioredis.default) as unknown as typeof Redis;
    if (closed) return;
    // Subscribe again ourselves on every "ready", then catch up: no window in which an event
    // published meanwhile is neither received nor read back.
    const connection = new RedisClass(options.redisUrl, {
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: null,
      lazyConnect: true,
      connectionName: options.connectionName ?? "portcullis-revocation-listener",
    });
    redis = connection;
    connection.on("message", (from: string, message: string) => {
      if (from !== channel) return;
      const event = parseRevocationEvent(message);
      if (event !== null) apply(event);
    });
    connection.on("ready", () => {
      connection.subscribe(channel).then(
        () => {
          subscribed = true;
          reportedDisconnect = false;
          void catchUp();
        },
        (error: unknown) => onError(error, `subscribing to ${channel}`),
      );
    });
    connection.on("close", () => {
      subscribed = false;
      if (status === "synced") setStatus("unsynced");
    });
    connection.on("error", (error: unknown) => {
      // ioredis reports every failed reconnect attempt; one report per outage is enough.
      if (reportedDisconnect) return;
      reportedDisconnect = true;
      onError(error, "the Redis connection of the revocation listener");
    });
    await connection.connect().catch(() => {
      // Reported by the "error" handler; ioredis keeps retrying.
    });
  }

  start().catch((error: unknown) => {
    onError(error, "starting the revocation listener (is the optional peer dependency ioredis installed?)");
  });

  const reconcileTimer = setInterval(() => {
    if (subscribed) void catchUp();
  }, options.reconcileIntervalMs ?? 60_000);
  reconcileTimer.unref();
  const pruneTimer = setInterval(() => {
    const horizon = clock.now() - retentionMs;
    for (const [id, at] of revokedSessions) if (at < horizon) revokedSessions.delete(id);
    for (const [id, at] of userNotBefore) if (at < horizon) userNotBefore.delete(id);
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  return {
    get status() {
      return status;
    },
    check(sessionId, userId, issuedAt) {
      if (revokedSessions.has(sessionId)) return "revoked";
      const notBefore = userNotBefore.get(userId);
      if (notBefore !== undefined && issuedAt * 1000 < notBefore) return "revoked";
      return refuseWhenUnavailable && status !== "synced" ? "unavailable" : "ok";
    },
    userCutOffAfter(userId, at) {
      const notBefore = userNotBefore.get(userId);
      return notBefore !== undefined && notBefore > at;
    },
    ready: () => readyPromise,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      status = "closed";
      closed = true;
      markReady();
      clearTimeout(startupTimer);
      clearInterval(reconcileTimer);
      clearInterval(pruneTimer);
      if (retryTimer !== null) clearTimeout(retryTimer);
      listeners.clear();
      redis?.disconnect();
      await catchUpInFlight?.catch(() => {});
    },
  };
}

/** A bus message; null for anything that is not a well-formed revocation event. */
export function parseRevocationEvent(message: string): RevocationEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  return toEvent(value);
}

function toEvent(value: unknown): RevocationEvent | null {
  if (typeof value !== "object" || value === null) return null;
  const { kind, at, sessionId, userId } = value as Record<string, unknown>;
  if (typeof at !== "number" || !Number.isFinite(at)) return null;
  if (kind === "session" && typeof sessionId === "string" && sessionId !== "") return { kind, sessionId, at };
  if (kind === "user" && typeof userId === "string" && userId !== "") return { kind, userId, at };
  return null;
}

function parseCatchUp(body: Record<string, unknown>): { events: RevocationEvent[]; now: number } | null {
  const { revocations, now } = body;
  if (!Array.isArray(revocations) || typeof now !== "number" || !Number.isFinite(now)) return null;
  const events: RevocationEvent[] = [];
  for (const item of revocations) {
    const event = toEvent(item);
    if (event !== null) events.push(event);
  }
  return { events, now };
}

function checkOptions(options: RevocationListenerOptions): string[] {
  const problems: string[] = [];
  if (typeof options.redisUrl !== "string" || !/^rediss?:\/\/./.test(options.redisUrl))
    problems.push("redisUrl must be a redis:// or rediss:// URL");
  if (options.prefix !== undefined && !PREFIX_PATTERN.test(options.prefix))
    problems.push("prefix must be 1–64 of A–Z a–z 0–9 : _ . -");
  if (!isHttpUrl(options.portcullisUrl)) problems.push("portcullisUrl must be an http(s) URL");
  if (typeof options.apiKey !== "string" || options.apiKey === "")
    problems.push("apiKey (an API key with the introspect scope) is required");
  if (options.connectionName !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(options.connectionName))
    problems.push("connectionName must be 1–64 of A–Z a–z 0–9 _ . : -");
  if (options.whenUnavailable !== undefined && !["accept", "refuse"].includes(options.whenUnavailable))
    problems.push('whenUnavailable must be "accept" or "refuse"');
  for (const name of [
    "maxTokenLifetimeSeconds",
    "startupTimeoutMs",
    "reconcileIntervalMs",
    "timeoutMs",
  ] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value > 0))
      problems.push(`${name} must be a positive integer`);
  }
  return problems;
}

export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
