/**
 * A mixed storm: virtual users who sign up, sign in (with tokens or a cookie), read their account,
 * refresh, rename themselves and sign out, each request sent to whichever instance `targets()`
 * names at that moment, as a load balancer would. Used by the fault suite
 * (test/scale-out/faults.*.test.ts) and the soak (bench/soak.ts).
 *
 * Besides counting answers, the storm keeps a ledger of what the service confirmed with a 2xx —
 * accounts created, sessions opened and closed, refresh tokens rotated — so a test can check the
 * database afterwards: nothing confirmed may be missing from the audit log, and no refresh token
 * the service replaced may still be valid. An answer that never came (the connection died) is an
 * unknown outcome and is kept out of the ledger.
 *
 * Only `node:` built-ins, so the bench can import it too.
 */
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";

export interface StormTarget {
  readonly name: string;
  /** Where the instance listens, e.g. `http://127.0.0.1:4100`. */
  readonly url: string;
}

export type StormAct =
  | "register"
  | "login"
  | "login_cookie"
  | "me"
  | "me_cookie"
  | "refresh"
  | "rename"
  | "csrf"
  | "logout"
  | "logout_cookie";

export interface StormSample {
  act: StormAct;
  target: string;
  /** The HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  /** The problem's `code` for an error answer, or the socket error's code. */
  code: string | undefined;
  /** When the request started (`performance.now()`), and how long it took, in milliseconds. */
  startedAt: number;
  ms: number;
}

export interface OpenedSession {
  sessionId: string;
  userId: string;
  transport: "token" | "cookie";
}

/** What the service confirmed with a 2xx. */
export interface StormLedger {
  /** Accounts whose registration answered 201, by user id. */
  registered: Map<string, string>;
  /** Sessions whose sign-in answered 200. */
  opened: OpenedSession[];
  /** Sessions whose logout answered 204. */
  closed: Set<string>;
  /** Refresh tokens a refresh answered 200 for: each has a successor and must never work again. */
  rotated: string[];
  /** The newest refresh token of each token session still open, when its last refresh got an answer. */
  current: Map<string, string>;
}

export interface StormOptions {
  /** The instances to send requests to now; one is picked per request, in turn. */
  targets(): readonly StormTarget[];
  /** `Host` to send (the public URL's host), when the instances check it. */
  host?: string;
  /** Virtual users running at once. */
  users: number;
  /** Prefix of the generated addresses, so a run's accounts are recognisable. */
  label: string;
  password: string;
  /** Requests per second across all users; as fast as answers come when absent. */
  rate?: number;
  /** Gives up on a request after this long (counted as no answer). Default 15 s. */
  timeoutMs?: number;
  /** Every answer (and every missing one), as it happens. */
  onSample?(sample: StormSample): void;
}

export interface Storm {
  readonly ledger: StormLedger;
  /** Answers by status (`0` for no answer), since the start. */
  readonly statuses: Map<number, number>;
  /** Every answer of 500 or more, for the report. */
  readonly serverErrors: StormSample[];
  /** Requests sent so far, answered or not. */
  requests(): number;
  /** 2xx answers so far, from one instance (by name) or from all. */
  succeeded(target?: string): number;
  /**
   * Resolves once `check` holds, checked after every answer; rejects after `timeoutMs`, naming
   * `what` and the answers so far.
   */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Changes the pace (requests per second), or lifts it. */
  setRate(rate: number | undefined): void;
  /** Lets every user finish the request in flight, then resolves. */
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
  setCookies: string[];
}

/** The storm runs on; how long a user waits after a refusal or a dead connection before going on. */
const BACK_OFF_MS = 25;
/** Every this many journeys a user signs up a new account: registration is a write, audited. */
const NEW_ACCOUNT_EVERY = 6;
const READS_PER_STEP = 2;
const REFRESHES_PER_JOURNEY = 2;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The `sid` claim of an access token; the token was just issued, so it is not verified here. */
function sessionIdOf(accessToken: string): string | undefined {
  const payload = accessToken.split(".")[1];
  if (payload === undefined) return undefined;
  const sid = parseJson(Buffer.from(payload, "base64url").toString("utf8")).sid;
  return typeof sid === "string" ? sid : undefined;
}

function cookieHeader(setCookies: string[]): string {
  return setCookies
    .map((header) => header.split(";")[0]?.trim() ?? "")
    .filter((pair) => pair !== "" && !pair.endsWith("="))
    .join("; ");
}

/**
 * Starts the storm; it runs until `stop()`.
 * @example const storm = startStorm({ targets: () => live, users: 12, label: "faults", password });
 */
export function startStorm(options: StormOptions): Storm {
  const agent = new Agent({ keepAlive: true, maxSockets: options.users * 2 });
  const timeoutMs = options.timeoutMs ?? 15_000;
  const ledger: StormLedger = {
    registered: new Map(),
    opened: [],
    closed: new Set(),
    rotated: [],
    current: new Map(),
  };
  const statuses = new Map<number, number>();
  const serverErrors: StormSample[] = [];
  const succeededBy = new Map<string, number>();
  const waiters = new Set<() => void>();
  let running = true;
  let sent = 0;
  let turn = 0;
  let interval = options.rate === undefined ? 0 : 1_000 / options.rate;
  let nextSlot = performance.now();

  /** Waits for this request's slot when a pace is set (one slot per `interval` ms across users). */
  async function paced(): Promise<void> {
    if (interval === 0) return;
    const now = performance.now();
    // A backlog is not made up in a burst: a slot missed by more than a second is dropped.
    nextSlot = Math.max(nextSlot + interval, now - 1_000);
    const wait = nextSlot - now;
    if (wait > 0) await pause(wait);
  }

  function pickTarget(): StormTarget | undefined {
    const live = options.targets();
    if (live.length === 0) return undefined;
    turn = (turn + 1) % live.length;
    return live[turn];
  }

  function record(sample: StormSample) {
    statuses.set(sample.status, (statuses.get(sample.status) ?? 0) + 1);
    if (sample.status >= 500) serverErrors.push(sample);
    if (sample.status >= 200 && sample.status < 300)
      succeededBy.set(sample.target, (succeededBy.get(sample.target) ?? 0) + 1);
    options.onSample?.(sample);
    for (const waiter of waiters) waiter();
  }

  async function send(
    act: StormAct,
    method: string,
    path: string,
    headers: Record<string, string>,
    json?: unknown,
  ): Promise<Answer> {
    await paced();
    const target = pickTarget();
    const startedAt = performance.now();
    if (target === undefined) {
      record({ act, target: "none", status: 0, code: "no_target", startedAt, ms: 0 });
      return { status: 0, body: "", setCookies: [] };
    }
    sent += 1;
    const body = json === undefined ? undefined : JSON.stringify(json);
    const listener = new URL(target.url);
    const answer = await new Promise<Answer & { code: string | undefined }>((resolve) => {
      const outgoing = httpRequest(
        {
          host: listener.hostname,
          port: listener.port,
          method,
          path,
          agent,
          timeout: timeoutMs,
          headers: {
            "user-agent": "portcullis-mixed-storm",
            ...(options.host === undefined ? {} : { host: options.host }),
            ...(body === undefined
              ? {}
              : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }),
            ...headers,
          },
        },
        (incoming) => {
          let text = "";
          incoming.setEncoding("utf8");
          incoming.on("data", (chunk: string) => {
            text += chunk;
          });
          incoming.on("error", (error: NodeJS.ErrnoException) =>
            resolve({ status: 0, body: "", setCookies: [], code: error.code ?? "ECONNRESET" }),
          );
          incoming.on("end", () => {
            const status = incoming.statusCode ?? 0;
            const problem = status >= 400 ? parseJson(text).code : undefined;
            resolve({
              status,
              body: text,
              setCookies: incoming.headers["set-cookie"] ?? [],
              code: typeof problem === "string" ? problem : undefined,
            });
          });
        },
      );
      outgoing.on("timeout", () =>
        outgoing.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })),
      );
      outgoing.on("error", (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, body: "", setCookies: [], code: error.code ?? "ECONNRESET" }),
      );
      outgoing.end(body);
    });
    record({
      act,
      target: target.name,
      status: answer.status,
      code: answer.code,
      startedAt,
      ms: performance.now() - startedAt,
    });
    return answer;
  }

  /** A refusal or no answer: wait a moment, so a user does not spin while a part is down. */
  async function backOffUnless(answer: Answer, expected: number): Promise<boolean> {
    if (answer.status === expected) return true;
    await pause(BACK_OFF_MS);
    return false;
  }

  async function register(): Promise<string | undefined> {
    const email = `${options.label}-${randomBytes(6).toString("hex")}@storm.test`;
    const answer = await send(
      "register",
      "POST",
      "/v1/auth/register",
      {},
      { email, password: options.password },
    );
    if (!(await backOffUnless(answer, 201))) return undefined;
    const user = parseJson(answer.body).user;
    const id = typeof user === "object" && user !== null ? (user as { id?: unknown }).id : undefined;
    if (typeof id === "string") ledger.registered.set(id, email);
    return email;
  }

  async function tokenJourney(email: string): Promise<void> {
    const login = await send("login", "POST", "/v1/auth/login", {}, { email, password: options.password });
    if (!(await backOffUnless(login, 200))) return;
    const body = parseJson(login.body);
    let access = typeof body.accessToken === "string" ? body.accessToken : "";
    let refresh = typeof body.refreshToken === "string" ? body.refreshToken : "";
    const user = body.user as { id?: unknown } | undefined;
    const sessionId = sessionIdOf(access);
    if (sessionId === undefined || typeof user?.id !== "string") return;
    ledger.opened.push({ sessionId, userId: user.id, transport: "token" });
    ledger.current.set(sessionId, refresh);

    for (let step = 0; step < REFRESHES_PER_JOURNEY && running; step++) {
      for (let read = 0; read < READS_PER_STEP && running; read++) {
        await backOffUnless(await send("me", "GET", "/v1/me", { authorization: `Bearer ${access}` }), 200);
      }
      const answer = await send("refresh", "POST", "/v1/auth/refresh", {}, { refreshToken: refresh });
      if (answer.status === 200) {
        const rotated = parseJson(answer.body);
        if (typeof rotated.accessToken !== "string" || typeof rotated.refreshToken !== "string") break;
        ledger.rotated.push(refresh);
        access = rotated.accessToken;
        refresh = rotated.refreshToken;
        ledger.current.set(sessionId, refresh);
      } else {
        // No answer, or a refusal while a part was down: whether the token was rotated is not
        // known (an answer lost on its way back). The session is left as it is.
        ledger.current.delete(sessionId);
        await pause(BACK_OFF_MS);
        break;
      }
    }
    if (!running) return;
    const rename = await send(
      "rename",
      "PATCH",
      "/v1/me",
      { authorization: `Bearer ${access}` },
      { name: `Storm ${randomBytes(3).toString("hex")}` },
    );
    await backOffUnless(rename, 200);
    const logout = await send(
      "logout",
      "POST",
      "/v1/auth/logout",
      { authorization: `Bearer ${access}` },
      { refreshToken: refresh },
    );
    if (logout.status === 204) {
      ledger.closed.add(sessionId);
      ledger.current.delete(sessionId);
    } else await pause(BACK_OFF_MS);
  }

  async function cookieJourney(email: string): Promise<void> {
    const login = await send(
      "login_cookie",
      "POST",
      "/v1/auth/login",
      {},
      { email, password: options.password, transport: "cookie" },
    );
    if (!(await backOffUnless(login, 200))) return;
    const body = parseJson(login.body);
    const session = body.session as { id?: unknown } | undefined;
    const user = body.user as { id?: unknown } | undefined;
    if (typeof session?.id !== "string" || typeof user?.id !== "string") return;
    ledger.opened.push({ sessionId: session.id, userId: user.id, transport: "cookie" });
    let cookies = cookieHeader(login.setCookies);
    for (let read = 0; read < READS_PER_STEP * 2 && running; read++) {
      await backOffUnless(await send("me_cookie", "GET", "/v1/me", { cookie: cookies }), 200);
    }
    if (!running) return;
    const csrf = await send("csrf", "GET", "/v1/auth/csrf", { cookie: cookies });
    if (!(await backOffUnless(csrf, 200))) return;
    const csrfToken = parseJson(csrf.body).csrfToken;
    if (typeof csrfToken !== "string") return;
    cookies = [cookies, cookieHeader(csrf.setCookies)].filter((part) => part !== "").join("; ");
    const logout = await send(
      "logout_cookie",
      "POST",
      "/v1/auth/logout",
      { cookie: cookies, "x-csrf-token": csrfToken },
      {},
    );
    if (logout.status === 204) ledger.closed.add(session.id);
    else await pause(BACK_OFF_MS);
  }

  async function user(index: number): Promise<void> {
    let email: string | undefined;
    for (let journey = 0; running; journey++) {
      if (email === undefined || journey % NEW_ACCOUNT_EVERY === 0) email = (await register()) ?? email;
      if (email === undefined || !running) continue;
      if ((journey + index) % 3 === 2) await cookieJourney(email);
      else await tokenJourney(email);
    }
  }

  const users = Array.from({ length: options.users }, (_, index) => user(index));

  return {
    ledger,
    statuses,
    serverErrors,
    requests: () => sent,
    succeeded: (target) =>
      target === undefined
        ? [...succeededBy.values()].reduce((sum, count) => sum + count, 0)
        : (succeededBy.get(target) ?? 0),
    until(check, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const waiter = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = [...statuses].map(([status, count]) => `${count}×${status}`).join(", ");
          reject(new Error(`the storm did not see ${what} within ${timeoutMs} ms (answers: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
        waiter();
      });
    },
    setRate(rate) {
      interval = rate === undefined ? 0 : 1_000 / rate;
      nextSlot = performance.now();
    },
    async stop() {
      running = false;
      await Promise.all(users);
      agent.destroy();
    },
  };
}
