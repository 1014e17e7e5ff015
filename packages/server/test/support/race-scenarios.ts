/**
 * The races of the hardening suite, written once against a deployment: one in-process instance
 * on SQLite, or three processes on PostgreSQL + Redis. Each race sends N requests that present
 * one secret at the same moment and counts, over its trials, those with exactly one winner
 * (see race-harness.ts). Accounts sign in with a password, or, on server processes that hash
 * at production cost, through a fake GitHub, so that the multi-instance run measures the race
 * rather than argon2id.
 */
import { Secret } from "otpauth";
import { totpCode } from "../../src/domain/mfa/totp.js";
import type { SqlDatabase } from "../../src/store/sql/database.js";
import type { FakeGitHub } from "./fake-github.js";
import type { OutboxWatcher } from "./outbox-watcher.js";
import { type Answer, call, contend, type Endpoint, type RaceFigure, runRace } from "./race-harness.js";
import { linkIn, tokenOf } from "./smtp-peer.js";
import { PUBLIC_URL, STRONG_PASSWORD, uniqueEmail } from "./test-app.js";

export interface RaceDeployment {
  /** How the figure names the deployment, e.g. "SQLite, one instance". */
  backend: string;
  endpoints: readonly Endpoint[];
  github: FakeGitHub;
  outbox: OutboxWatcher;
  /** The deployment's database, read to check what a trial stored. */
  database: SqlDatabase;
  /** An administrator made the way an operator makes one (the command line, or `createUser`). */
  bootstrapAdmin: { email: string; password: string };
  /**
   * How race accounts sign in: with a password where hashing is cheap (the in-process app's test
   * parameters), through the fake GitHub where it costs production argon2id (server processes).
   */
  signInWith: "password" | "github";
}

const APP = "https://app.example.com/done";
const TOTP_STEP_MS = 30_000;

/** Settings every race deployment runs with: the fake GitHub, and no limit a race would trip over. */
export function raceEnvironment(github: FakeGitHub): Record<string, string> {
  return {
    ...github.portcullisEnv(),
    PORTCULLIS_REDIRECT_ALLOWLIST: APP,
    PORTCULLIS_RATE_LIMIT: "off",
    PORTCULLIS_LOGIN_RATE_LIMIT: "off",
    PORTCULLIS_EMAIL_RATE_LIMIT: "off",
    // Email change and TOTP setup are step-up acts; a race suite runs longer than the default window.
    PORTCULLIS_REAUTH_WINDOW: "1h",
  };
}

interface GitHubUser {
  id: number;
  email: string;
}

let githubIds = Math.floor(Math.random() * 1_000_000) * 1_000;

/** An account of a race; one with a password is registered at once, a GitHub one at its first sign-in. */
interface RaceAccount {
  email: string;
  github: GitHubUser | undefined;
}

async function newAccount(d: RaceDeployment): Promise<RaceAccount> {
  const email = uniqueEmail("race");
  if (d.signInWith === "github") return { email, github: { id: ++githubIds, email } };
  const registered = await call(d.endpoints[0] as Endpoint, "POST", "/v1/auth/register", {
    json: { email, password: STRONG_PASSWORD },
  });
  expectStatus(registered, 201, "registration");
  return { email, github: undefined };
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; roles: string[] };
}

const bearer = (tokens: Pick<Tokens, "accessToken">) => ({ authorization: `Bearer ${tokens.accessToken}` });

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status)
    throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
}

const endpointAt = (d: RaceDeployment, turn: number) => d.endpoints[turn % d.endpoints.length] as Endpoint;

/**
 * A social sign-in up to the one-time code of the redirect: start on one instance, the provider,
 * the callback on the next. Flows for one GitHub user may run at once; for different users not,
 * since the fake GitHub signs in whoever `setNextUser` named last.
 */
async function socialSignInCode(d: RaceDeployment, user: GitHubUser, turn: number): Promise<string> {
  const started = await call(
    endpointAt(d, turn),
    "GET",
    `/v1/oauth/github/start?redirectTo=${encodeURIComponent(APP)}`,
  );
  expectStatus(started, 302, "social sign-in start");
  const cookie = started.headers
    .getSetCookie()
    .map((header) => header.split(";")[0])
    .join("; ");
  d.github.setNextUser({
    id: user.id,
    login: `racer${user.id}`,
    name: null,
    emails: [{ email: user.email, primary: true, verified: true }],
  });
  const authorized = await fetch(started.headers.get("location") ?? "", { redirect: "manual" });
  const callback = new URL(authorized.headers.get("location") ?? "");
  const landed = await call(endpointAt(d, turn + 1), "GET", `${callback.pathname}${callback.search}`, {
    headers: { cookie },
  });
  expectStatus(landed, 302, "social sign-in callback");
  const code = new URL(landed.headers.get("location") ?? "").searchParams.get("code");
  if (code === null) throw new Error(`the callback sent no code: ${landed.headers.get("location")}`);
  return code;
}

/** The answer of a sign-in's first step: tokens, or `mfaRequired` with an mfaToken. */
async function signInAnswer(d: RaceDeployment, account: RaceAccount, turn: number): Promise<unknown> {
  const endpoint = endpointAt(d, turn);
  const answer =
    account.github === undefined
      ? await call(endpoint, "POST", "/v1/auth/login", {
          json: { email: account.email, password: STRONG_PASSWORD },
        })
      : await call(endpoint, "POST", "/v1/auth/exchange", {
          json: { code: await socialSignInCode(d, account.github, turn) },
        });
  expectStatus(answer, 200, "sign-in");
  return answer.body;
}

/** A new token session of `account`. */
const signIn = async (d: RaceDeployment, account: RaceAccount, turn = 0) =>
  (await signInAnswer(d, account, turn)) as Tokens;

/** `count` sign-ins of an account with a second factor, at once, each stopped at its mfaToken. */
function mfaTokens(d: RaceDeployment, account: RaceAccount, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, turn) => {
      const body = (await signInAnswer(d, account, turn)) as { mfaRequired?: boolean; mfaToken?: string };
      if (body.mfaRequired !== true || body.mfaToken === undefined)
        throw new Error(`expected mfaRequired, got ${JSON.stringify(body)}`);
      return body.mfaToken;
    }),
  );
}

/** A fresh account with TOTP on: its secret and backup codes. The enabling code is of the current step. */
async function accountWithTotp(
  d: RaceDeployment,
): Promise<{ account: RaceAccount; secret: Uint8Array; backupCodes: string[] }> {
  const account = await newAccount(d);
  const session = await signIn(d, account);
  const endpoint = d.endpoints[0] as Endpoint;
  const setup = await call(endpoint, "POST", "/v1/mfa/totp/setup", { json: {}, headers: bearer(session) });
  expectStatus(setup, 200, "TOTP setup");
  const secret = Secret.fromBase32((setup.body as { secret: string }).secret).bytes;
  const enabled = await call(endpoint, "POST", "/v1/mfa/totp/enable", {
    json: { code: totpCode(secret, Date.now()) },
    headers: bearer(session),
  });
  expectStatus(enabled, 200, "TOTP enable");
  return { account, secret, backupCodes: (enabled.body as { backupCodes: string[] }).backupCodes };
}

const isProblem = (status: number, code: string) => (answer: Answer) =>
  answer.status === status && answer.code === code;

/** One refresh token ×10: one rotation; the rest are reuse (the grace window is off by default). */
export function raceRefreshToken(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  let account: RaceAccount | undefined;
  return runRace("one refresh token ×10 → one rotation", d.backend, trials, async (trial) => {
    account ??= await newAccount(d);
    const session = await signIn(d, account, trial);
    const answers = await contend(d.endpoints, 10, (endpoint) =>
      call(endpoint, "POST", "/v1/auth/refresh", { json: { refreshToken: session.refreshToken } }),
    );
    return {
      answers,
      won: (answer) => answer.status === 200,
      refused: isProblem(401, "refresh_token_reused"),
    };
  });
}

/**
 * One backup code ×5, each with its own mfaToken of the same account: one sign-in. A fresh
 * account each trial, since the four refused codes count against the account's limit of wrong
 * codes (ten in fifteen minutes).
 */
export function raceBackupCode(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  return runRace("one backup code ×5 → one sign-in", d.backend, trials, async () => {
    const { account, backupCodes } = await accountWithTotp(d);
    const tokens = await mfaTokens(d, account, 5);
    const answers = await contend(d.endpoints, 5, (endpoint, index) =>
      call(endpoint, "POST", "/v1/auth/mfa", {
        json: { mfaToken: tokens[index], backupCode: backupCodes[0] },
      }),
    );
    return { answers, won: (answer) => answer.status === 200, refused: isProblem(401, "invalid_mfa_code") };
  });
}

/**
 * One TOTP code ×5 (the next step's, never used), each with its own mfaToken: one sign-in. A
 * fresh account each trial: an account has one unused step per 30 seconds.
 */
export function raceTotpCode(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  return runRace("one TOTP code ×5 → one sign-in", d.backend, trials, async () => {
    const { account, secret } = await accountWithTotp(d);
    const tokens = await mfaTokens(d, account, 5);
    // The enabling code spent the current step; the next one is within the ±1 step tolerance.
    const code = totpCode(secret, Date.now() + TOTP_STEP_MS);
    const answers = await contend(d.endpoints, 5, (endpoint, index) =>
      call(endpoint, "POST", "/v1/auth/mfa", { json: { mfaToken: tokens[index], code } }),
    );
    return { answers, won: (answer) => answer.status === 200, refused: isProblem(401, "invalid_mfa_code") };
  });
}

/** One password-reset link ×5: one new password. Every request hashes the password it brings. */
export function racePasswordReset(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  let account: RaceAccount | undefined;
  return runRace("one reset token ×5 → one reset", d.backend, trials, async () => {
    if (account === undefined) {
      account = await newAccount(d);
      // A GitHub account exists from its first sign-in.
      if (account.github !== undefined) await signIn(d, account);
    }
    const forgot = await call(d.endpoints[0] as Endpoint, "POST", "/v1/password/forgot", {
      json: { email: account.email },
    });
    expectStatus(forgot, 202, "forgot");
    const mail = await d.outbox.next(account.email, /^Reset your Portcullis password/);
    const token = tokenOf(linkIn(mail.text, `${PUBLIC_URL}/reset-password?token=`));
    const answers = await contend(d.endpoints, 5, (endpoint) =>
      call(endpoint, "POST", "/v1/password/reset", { json: { token, password: STRONG_PASSWORD } }),
    );
    return { answers, won: (answer) => answer.status === 204, refused: isProblem(400, "invalid_token") };
  });
}

/** One email-change confirmation link ×5: one change, to the address the link names. */
export function raceEmailChange(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  let session: Tokens | undefined;
  return runRace("one email-change link ×5 → one change", d.backend, trials, async () => {
    session ??= await signIn(d, await newAccount(d));
    const newEmail = uniqueEmail("moved");
    const requested = await call(d.endpoints[0] as Endpoint, "POST", "/v1/me/email", {
      json: { newEmail },
      headers: bearer(session),
    });
    expectStatus(requested, 202, "email change request");
    const mail = await d.outbox.next(newEmail, /^Confirm your new email address/);
    const token = tokenOf(linkIn(mail.text, `${PUBLIC_URL}/confirm-email-change?token=`));
    const answers = await contend(d.endpoints, 5, (endpoint) =>
      call(endpoint, "POST", "/v1/email/change/confirm", { json: { token } }),
    );
    const stored = await d.database.db
      .selectFrom("users")
      .select("email")
      .where("id", "=", session.user.id)
      .executeTakeFirst();
    return {
      answers,
      won: (answer) => answer.status === 200,
      refused: isProblem(400, "invalid_token"),
      stateProblem: stored?.email === newEmail ? null : `the account's address is ${stored?.email}`,
    };
  });
}

/** One social-login exchange code ×5: one token response. */
export function raceExchangeCode(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  const email = uniqueEmail("social");
  const user: GitHubUser = { id: ++githubIds, email };
  return runRace("one OAuth exchange code ×5 → one sign-in", d.backend, trials, async (trial) => {
    const code = await socialSignInCode(d, user, trial);
    const answers = await contend(d.endpoints, 5, (endpoint) =>
      call(endpoint, "POST", "/v1/auth/exchange", { json: { code } }),
    );
    return { answers, won: (answer) => answer.status === 200, refused: isProblem(400, "invalid_code") };
  });
}

/**
 * Registration of one address ×10: one account; the others `409 email_taken` (the default
 * setting). Every request that passes the early check hashes the password.
 */
export function raceRegistration(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  return runRace("registration of one email ×10 → one account", d.backend, trials, async () => {
    const email = uniqueEmail("signup");
    const answers = await contend(d.endpoints, 10, (endpoint) =>
      call(endpoint, "POST", "/v1/auth/register", { json: { email, password: STRONG_PASSWORD } }),
    );
    const rows = await d.database.db.selectFrom("users").select("id").where("email", "=", email).execute();
    return {
      answers,
      won: (answer) => answer.status === 201,
      refused: isProblem(409, "email_taken"),
      stateProblem: rows.length === 1 ? null : `${rows.length} accounts with the address`,
    };
  });
}

async function enabledAdmins(d: RaceDeployment): Promise<number> {
  const rows = await d.database.db
    .selectFrom("users")
    .select("id")
    .where("disabled_at", "is", null)
    .where("roles", "like", '%"admin"%')
    .execute();
  return rows.length;
}

interface SignedIn {
  account: RaceAccount;
  tokens: Tokens;
}

/**
 * The only two administrators, each demoting the other at the same moment: one admin left. The
 * one refused answers `409 last_admin`, or `401 invalid_token` when the other's demotion (which
 * ends the demoted one's sessions) came before its request was authenticated. The survivor of a
 * trial promotes the one it demoted for the next; a promotion ends the promoted one's sessions,
 * so it signs in again to hold a token with the role.
 */
export function raceLastAdmin(d: RaceDeployment, trials: number): Promise<RaceFigure> {
  let survivor: SignedIn | undefined;
  let demoted: SignedIn | undefined;
  const setRoles = (actor: Tokens, userId: string, roles: string[], endpoint = d.endpoints[0] as Endpoint) =>
    call(endpoint, "PATCH", `/v1/admin/users/${userId}`, { json: { roles }, headers: bearer(actor) });
  const ADMIN = ["user", "admin"];

  /** The operator's administrator promotes two accounts of the race, then steps down. */
  async function handOver(): Promise<[SignedIn, SignedIn]> {
    const login = await call(d.endpoints[0] as Endpoint, "POST", "/v1/auth/login", {
      json: d.bootstrapAdmin,
    });
    expectStatus(login, 200, "administrator login");
    const root = login.body as Tokens;
    const pair: SignedIn[] = [];
    for (const account of [await newAccount(d), await newAccount(d)]) {
      const first = await signIn(d, account);
      expectStatus(await setRoles(root, first.user.id, ADMIN), 200, "promotion");
      pair.push({ account, tokens: first });
    }
    expectStatus(await setRoles(root, root.user.id, ["user"]), 200, "stepping down");
    return pair as [SignedIn, SignedIn];
  }

  return runRace(
    "last-admin demotion by two admins at once → one admin",
    d.backend,
    trials,
    async (trial) => {
      if (survivor === undefined || demoted === undefined) {
        const [first, second] = await handOver();
        survivor = { account: first.account, tokens: await signIn(d, first.account) };
        demoted = second;
      } else {
        expectStatus(await setRoles(survivor.tokens, demoted.tokens.user.id, ADMIN), 200, "promotion");
      }
      const challenger: SignedIn = {
        account: demoted.account,
        tokens: await signIn(d, demoted.account, trial),
      };
      const admins = [survivor, challenger] as const;
      const answers = await contend(d.endpoints, 2, (endpoint, index) => {
        const actor = admins[index] as SignedIn;
        const other = admins[1 - index] as SignedIn;
        return setRoles(actor.tokens, other.tokens.user.id, ["user"], endpoint);
      });
      const winner = answers.findIndex((answer) => answer.status === 200);
      if (winner !== -1) {
        survivor = admins[winner];
        demoted = admins[1 - winner];
      }
      const left = await enabledAdmins(d);
      return {
        answers,
        won: (answer) => answer.status === 200,
        refused: (answer) => isProblem(409, "last_admin")(answer) || isProblem(401, "invalid_token")(answer),
        stateProblem: left === 1 ? null : `${left} enabled administrators left`,
      };
    },
  );
}

export type RaceName =
  | "refreshToken"
  | "backupCode"
  | "totpCode"
  | "passwordReset"
  | "emailChange"
  | "exchangeCode"
  | "registration"
  | "lastAdmin";

/** Every race, with the behaviour its test states. */
export const RACES: ReadonlyArray<{
  name: RaceName;
  behaviour: string;
  run: (d: RaceDeployment, trials: number) => Promise<RaceFigure>;
}> = [
  {
    name: "refreshToken",
    behaviour: "of 10 concurrent refreshes with one token, one rotates it and the rest are reuse",
    run: raceRefreshToken,
  },
  {
    name: "backupCode",
    behaviour: "of 5 concurrent sign-ins with one backup code, one succeeds",
    run: raceBackupCode,
  },
  {
    name: "totpCode",
    behaviour: "of 5 concurrent sign-ins with one TOTP code, one succeeds",
    run: raceTotpCode,
  },
  {
    name: "passwordReset",
    behaviour: "of 5 concurrent resets with one link, one sets the password",
    run: racePasswordReset,
  },
  {
    name: "emailChange",
    behaviour: "of 5 concurrent confirmations of one email-change link, one moves the account",
    run: raceEmailChange,
  },
  {
    name: "exchangeCode",
    behaviour: "of 5 concurrent exchanges of one social-login code, one signs in",
    run: raceExchangeCode,
  },
  {
    name: "registration",
    behaviour:
      "of 10 concurrent registrations of one address, one makes the account and the rest are email_taken",
    run: raceRegistration,
  },
  {
    name: "lastAdmin",
    behaviour: "of the only two administrators demoting each other at once, one stays administrator",
    run: raceLastAdmin,
  },
];
