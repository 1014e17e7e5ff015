/**
 * The checks of `portcullis doctor`. Each looks and changes nothing (the database is opened
 * without migrating, a SQLite file that does not exist is not created) and answers passed,
 * warning or failed, with what to do about anything short of passed. Every network step is
 * bounded by a timeout, so a check that cannot reach its peer fails rather than hangs.
 */
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { createTransport } from "nodemailer";
import { type Config, describeSecretWeakness } from "../config/config.js";
import {
  CONFIG_FILE_VARIABLE,
  type ConfigFile,
  describeUnknownSetting,
  isKnownSetting,
} from "../config/config-file.js";
import { openSqlDatabase, type SqlDatabase, sqlitePathFromUrl } from "../store/sql/database.js";
import { migrations } from "../store/sql/migrations/index.js";

export type CheckStatus = "passed" | "warning" | "failed";

export interface CheckResult {
  /** A stable name, for scripts: `settings`, `database`, `smtp`, … */
  readonly check: string;
  readonly status: CheckStatus;
  readonly summary: string;
  /** What to do; absent when passed. */
  readonly fix?: string;
}

const NETWORK_TIMEOUT_MS = 5_000;
/** Tokens carry `iat`/`exp` in seconds and verifiers allow little leeway; more than this is trouble. */
const CLOCK_SKEW_WARNING_MS = 2_000;
const CLOCK_SKEW_FAILURE_MS = 30_000;
/** A signing key older than this is due for `keys rotate`. */
const SIGNING_KEY_MAX_AGE_DAYS = 180;

const passed = (check: string, summary: string): CheckResult => ({ check, status: "passed", summary });
const warning = (check: string, summary: string, fix: string): CheckResult => ({
  check,
  status: "warning",
  summary,
  fix,
});
const failed = (check: string, summary: string, fix: string): CheckResult => ({
  check,
  status: "failed",
  summary,
  fix,
});

/** An error's message, without anything after a URL's credentials could appear. */
function reason(error: unknown): string {
  // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a certificate, …).
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  const message = error instanceof Error ? `${error.message}${cause}` : String(error);
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s]*/gi, "<url>");
}

/** Unknown `PORTCULLIS_*` variables and unknown keys in the file: likely typos, silently ignored otherwise. */
export function checkSettingNames(
  env: Record<string, string | undefined>,
  file: ConfigFile | null,
): CheckResult[] {
  const results: CheckResult[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("PORTCULLIS_") || name === CONFIG_FILE_VARIABLE || isKnownSetting(name)) continue;
    results.push(
      warning(
        "settings",
        `environment variable ${name}: ${describeUnknownSetting(name)}`,
        `it is ignored: rename or remove it (every setting: docs/configuration.md)`,
      ),
    );
  }
  for (const problem of file?.problems ?? []) {
    const unknown = problem.includes("unknown setting");
    results.push(
      failed(
        "settings",
        problem,
        unknown
          ? "the server refuses to start with it: rename or remove the key"
          : "the server refuses to start with it: fix the file",
      ),
    );
  }
  if (results.length === 0) {
    results.push(
      passed(
        "settings",
        `every PORTCULLIS_* variable${file === null ? "" : " and file key"} is a known setting`,
      ),
    );
  }
  return results;
}

export function checkConfiguration(problems: readonly string[], file: ConfigFile | null): CheckResult {
  const where = file === null ? "the environment" : `the environment and ${file.path}`;
  if (problems.length === 0) return passed("configuration", `${where}: valid`);
  return failed(
    "configuration",
    `${where}: ${problems.length} problem(s):\n${problems.map((problem) => `  - ${problem}`).join("\n")}`,
    "fix these; the server refuses to start, and the checks that need a valid configuration were not run",
  );
}

export function checkPublicUrl(config: Config): CheckResult {
  const https = config.publicUrl.startsWith("https://");
  if (config.env === "production" && !https) {
    return failed(
      "public-url",
      `${config.publicUrl} is plain http:// in production: cookies are not Secure and not __Host- prefixed`,
      "serve Portcullis behind TLS and set PORTCULLIS_PUBLIC_URL to its https:// URL (docs/production.md)",
    );
  }
  if (https) return passed("public-url", `${config.publicUrl}: Secure, __Host- cookies`);
  return passed(
    "public-url",
    `${config.publicUrl}: plain http is accepted outside production (cookies not Secure)`,
  );
}

export function checkSecrets(config: Config): CheckResult[] {
  const results: CheckResult[] = [];
  if (config.secret === undefined) {
    results.push(
      warning(
        "secret",
        "PORTCULLIS_SECRET is not set: a generated development secret in the data folder is used",
        "set PORTCULLIS_SECRET (e.g. `openssl rand -base64 48`) before production",
      ),
    );
  } else {
    // loadConfig refuses a weak secret; this says so for the record.
    const weakness = describeSecretWeakness(config.secret);
    results.push(
      weakness === null
        ? passed("secret", `PORTCULLIS_SECRET: ${config.secret.length} characters, not a pattern`)
        : failed("secret", `PORTCULLIS_SECRET ${weakness}`, "use `openssl rand -base64 48`"),
    );
  }
  if (config.previousSecrets.length > 0) {
    results.push(
      warning(
        "secret",
        `PORTCULLIS_SECRET_PREVIOUS holds ${config.previousSecrets.length} older secret(s)`,
        "run `npm run cli -- secrets reseal`, then remove them when it says so",
      ),
    );
  }
  return results;
}

/** Opens the configured database without migrating; null with a result when it cannot. */
async function openForChecks(config: Config): Promise<{ database: SqlDatabase } | { result: CheckResult }> {
  if (config.databaseUrl.startsWith("sqlite:")) {
    const path = sqlitePathFromUrl(config.databaseUrl);
    if (path !== ":memory:" && !existsSync(path)) {
      return {
        result: warning(
          "database",
          `no SQLite database at ${path} yet`,
          "it is created and migrated at the first start (or `npm run cli -- migrate`); if you expected one, check DATABASE_URL and the working directory",
        ),
      };
    }
  }
  try {
    const database = await openSqlDatabase(config.databaseUrl, { poolSize: 1, migrate: false });
    await sql`select 1`.execute(database.db);
    return { database };
  } catch (error) {
    return {
      result: failed(
        "database",
        `cannot reach the ${config.databaseUrl.startsWith("sqlite:") ? "SQLite" : "PostgreSQL"} database: ${reason(error)}`,
        "check DATABASE_URL, that the database server runs and accepts this host, and the credentials",
      ),
    };
  }
}

async function appliedMigrations(database: SqlDatabase): Promise<string[] | null> {
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(database.db);
    return rows.rows.map((row) => row.name);
  } catch {
    return null;
  }
}

/** Database reachable, migrations current, clock skew, signing key ages. */
export async function checkDatabase(config: Config, now: () => number = Date.now): Promise<CheckResult[]> {
  const opened = await openForChecks(config);
  if ("result" in opened) return [opened.result];
  const { database } = opened;
  const results: CheckResult[] = [];
  try {
    results.push(passed("database", `${database.dialect} database reachable`));

    const applied = (await appliedMigrations(database)) ?? [];
    const known = Object.keys(migrations);
    const unknown = applied.filter((name) => !known.includes(name));
    const pending = known.filter((name) => !applied.includes(name));
    if (unknown.length > 0) {
      results.push(
        failed(
          "migrations",
          `the database has migrations this version does not know (${unknown.join(", ")})`,
          "it was migrated by a newer Portcullis: run that version, or restore a backup taken before the upgrade",
        ),
      );
    } else if (pending.length > 0) {
      results.push(
        warning(
          "migrations",
          `${pending.length} migration(s) pending: ${pending.join(", ")}`,
          "the server applies them at start; or run `npm run cli -- migrate` (take a backup first)",
        ),
      );
    } else {
      results.push(passed("migrations", `current (${known.length} applied)`));
    }

    if (database.dialect === "postgres") {
      const before = now();
      const row = await sql<{ now: Date }>`select now() as now`.execute(database.db);
      const after = now();
      const databaseTime = new Date(row.rows[0]?.now ?? after).getTime();
      const skew = Math.abs(databaseTime - (before + after) / 2);
      const summary = `this host and PostgreSQL differ by ${Math.round(skew)} ms`;
      const fix =
        "run NTP (chrony, systemd-timesyncd) on every host: token lifetimes and rate-limit windows depend on it";
      results.push(
        skew > CLOCK_SKEW_FAILURE_MS
          ? failed("clock", summary, fix)
          : skew > CLOCK_SKEW_WARNING_MS
            ? warning("clock", summary, fix)
            : passed("clock", summary),
      );
    } else {
      results.push(passed("clock", "SQLite runs in this process: one clock"));
    }

    if (applied.length > 0) {
      const keys = await database.db
        .selectFrom("signing_keys")
        .select(["kid", "created_at"])
        .where("retired_at", "is", null)
        .orderBy("created_at", "desc")
        .execute();
      const newest = keys[0];
      if (newest === undefined) {
        results.push(passed("signing-keys", "no signing key yet: the server creates one at first start"));
      } else {
        const days = Math.floor((now() - Number(newest.created_at)) / 86_400_000);
        results.push(
          days > SIGNING_KEY_MAX_AGE_DAYS
            ? warning(
                "signing-keys",
                `the current signing key (${newest.kid}) is ${days} days old`,
                "run `npm run cli -- keys rotate`; tokens signed before stay valid until they expire",
              )
            : passed("signing-keys", `the current signing key (${newest.kid}) is ${days} days old`),
        );
      }
    }
  } catch (error) {
    results.push(
      failed("database", `query failed: ${reason(error)}`, "check the database and its permissions"),
    );
  } finally {
    await database.close();
  }
  return results;
}

/** Redis answers, and how many instances listen on the revocation bus. */
export async function checkRedis(config: Config): Promise<CheckResult[]> {
  if (config.redisUrl === undefined) {
    return [passed("redis", "not configured: one instance, state in memory and SQL")];
  }
  const client = new Redis(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: NETWORK_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const pong = await client.ping();
    const channel = `${config.redisPrefix}revocations`;
    const numsub = (await client.pubsub("NUMSUB", channel)) as [string, number];
    const listeners = Number(numsub[1] ?? 0);
    return [
      passed("redis", `answers ${pong}`),
      passed("bus", `channel ${channel}: ${listeners} subscriber(s) now (one per running instance)`),
    ];
  } catch (error) {
    return [
      failed(
        "redis",
        `cannot reach Redis: ${reason(error)}`,
        "check REDIS_URL (rediss:// for TLS), that Redis runs, and its password; without it instances do not share rate limits or revocations",
      ),
    ];
  } finally {
    client.disconnect();
  }
}

/** A real connection and EHLO (and AUTH when the URL has credentials), through the same library that sends. */
export async function checkSmtp(config: Config): Promise<CheckResult> {
  if (config.smtpUrl === undefined) {
    return config.env === "production"
      ? warning(
          "smtp",
          `SMTP_URL is not set: mail is only written to ${config.mailOutboxDir ?? "the outbox folder"}`,
          "set SMTP_URL, or make sure another program delivers the outbox",
        )
      : passed("smtp", `not configured: mail is written to ${config.mailOutboxDir ?? "the outbox folder"}`);
  }
  let host = "the SMTP server";
  try {
    const url = new URL(config.smtpUrl);
    host = `${url.hostname}:${url.port || (url.protocol === "smtps:" ? "465" : "587")}`;
  } catch {}
  const transport = createTransport({
    url: config.smtpUrl,
    connectionTimeout: NETWORK_TIMEOUT_MS,
    greetingTimeout: NETWORK_TIMEOUT_MS,
    socketTimeout: NETWORK_TIMEOUT_MS,
  });
  try {
    await transport.verify();
    return passed("smtp", `${host} answered EHLO`);
  } catch (error) {
    return failed(
      "smtp",
      `${host}: ${reason(error)}`,
      "check SMTP_URL (host, port, smtps:// for implicit TLS, credentials) and that this host may reach it",
    );
  } finally {
    transport.close();
  }
}

/** Each OpenID Connect provider's discovery document answers and names its issuer. */
export async function checkSocialProviders(config: Config): Promise<CheckResult[]> {
  if (config.oauthProviders.length === 0) return [];
  return Promise.all(
    config.oauthProviders.map(async (provider): Promise<CheckResult> => {
      const check = `social:${provider.id}`;
      if (provider.kind === "github")
        return passed(check, `GitHub (plain OAuth 2.0, no discovery): ${provider.webUrl}`);
      const url = `${provider.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
      const fix = `check PORTCULLIS_OAUTH_${provider.id.toUpperCase()}_ISSUER and that this host may reach it`;
      try {
        const response = await fetch(url, {
          signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
          redirect: "error",
        });
        if (!response.ok) return failed(check, `${url} answered ${response.status}`, fix);
        const metadata = (await response.json()) as { issuer?: unknown };
        if (metadata.issuer !== provider.issuer) {
          return failed(
            check,
            `${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${provider.issuer}`,
            "the issuer must match exactly (a trailing slash counts): copy it from the discovery document",
          );
        }
        return passed(check, `${url} reachable, issuer matches`);
      } catch (error) {
        return failed(check, `${url}: ${reason(error)}`, fix);
      }
    }),
  );
}
