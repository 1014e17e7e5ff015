/**
 * Configuration: read once from the environment, validated against `ConfigSchema`, resolved
 * into typed values and frozen. Every problem is reported at once, naming the variable, so a
 * wrong deployment fails at start rather than at the first request.
 */
import { isIP } from "node:net";
import { Value } from "@sinclair/typebox/value";
import { type RoleScopes, SCOPES } from "../domain/authz/scopes.js";
import type { OAuthProviderSettings } from "../domain/oauth/providers.js";
import type { SigningAlgorithm } from "../domain/tokens/signing-key.js";
import { configuredRoles, readRoleScopes } from "./authz-config.js";
import { type ConfigFile, jsonPointer, PROVIDER_VARIABLE, settingSource } from "./config-file.js";
import { ConfigSchema, type RawConfig } from "./config-schema.js";
import { readSocialLoginConfig, type SocialLoginConfig } from "./social-login-config.js";
import { resolveWebAuthnSettings, type WebAuthnSettings, webauthnOriginProblems } from "./webauthn-config.js";

export interface RateLimitSetting {
  points: number;
  durationSeconds: number;
}

export type TrustProxySetting = false | number | string[];

export interface Config {
  readonly env: "development" | "production" | "test";
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  /** REDIS_URL. It may hold a password: never logged. */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly audience: string;
  /** Undefined only before `ensureSecret` has generated or loaded a development secret. */
  readonly secret: string | undefined;
  /** PORTCULLIS_SECRET_PREVIOUS: older secrets whose sealed values still open (secret rotation); never logged. */
  readonly previousSecrets: readonly string[];
  readonly signingAlgorithm: SigningAlgorithm;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** PORTCULLIS_REFRESH_GRACE in milliseconds; 0 when off. */
  readonly refreshGraceMs: number;
  readonly rememberMeTtlSeconds: number;
  readonly sessionIdleTimeoutSeconds: number;
  readonly reauthWindowSeconds: number;
  /** The WebAuthn relying party: the public URL's hostname and origin, plus PORTCULLIS_WEBAUTHN_ORIGINS. */
  readonly webauthn: WebAuthnSettings;
  readonly sessionBinding: { readonly userAgent: boolean; readonly address: boolean };
  readonly loginRateLimit: RateLimitSetting | null;
  readonly rateLimit: RateLimitSetting | null;
  /** Forgot-password and verification-resend requests per email address; null when off. */
  readonly emailRateLimit: RateLimitSetting | null;
  /** Requests per API key to the resource-server endpoints (introspection, revocations). */
  readonly introspectionRateLimit: RateLimitSetting | null;
  /** SMTP_URL. It may hold credentials: never logged, never echoed in an error. */
  readonly smtpUrl: string | undefined;
  /** A JSON copy of every mail goes here; by default `<dataDir>/mail-outbox` outside production without SMTP. */
  readonly mailOutboxDir: string | undefined;
  readonly mailFrom: string;
  readonly mailTemplatesDir: string | undefined;
  readonly requireVerifiedEmail: boolean;
  /** Registration with a taken address: 409 `email_taken`, or 202 for everyone and a mail to the owner. */
  readonly emailTaken: "conflict" | "notify";
  readonly trustProxy: TrustProxySetting;
  readonly hashConcurrency: number | undefined;
  readonly hashQueue: number;
  /** `nice` increment of the password-hash threads (0 = the event loop's priority). */
  readonly hashNiceness: number;
  /** PORTCULLIS_CACHE_ENTRIES: the bound of each in-process cache (tokens, cookie sessions, users). */
  readonly cacheEntries: number;
  /** Every role that may be granted: `user`, `admin`, then those of `PORTCULLIS_ROLES`. */
  readonly roles: readonly string[];
  /** PORTCULLIS_ROLE_SCOPES: the scopes each role grants a session (a role without an entry, none). */
  readonly roleScopes: RoleScopes;
  /** PORTCULLIS_SCOPES: the API scopes the OpenID provider offers besides the OpenID Connect ones. */
  readonly apiScopes: readonly string[];
  /** The RFC 8707 resources clients may ask tokens for: the audience, then PORTCULLIS_RESOURCES. */
  readonly resources: readonly string[];
  /** Social-login providers (`PORTCULLIS_OAUTH_<ID>_*`), sorted by id. */
  readonly oauthProviders: readonly OAuthProviderSettings[];
  /** PORTCULLIS_REDIRECT_ALLOWLIST entries (default: the public URL's origin). */
  readonly redirectAllowlist: readonly string[];
  /** Audit events older than this are pruned; null keeps them forever. */
  readonly auditRetentionSeconds: number | null;
  readonly logLevel: string;
  /** PORTCULLIS_SHUTDOWN_TIMEOUT: how long a graceful shutdown waits for requests in flight. */
  readonly shutdownTimeoutSeconds: number;
  /** Where `GET /metrics` is served, and to whom (PORTCULLIS_METRICS_*). */
  readonly metrics: MetricsSettings;
  /** PORTCULLIS_ACCESS_LOG: which requests get an access-log line. */
  readonly accessLog: "off" | "errors" | "all";
  /** The pages for people: branding and the operator's overrides. */
  readonly ui: UiSettings;
  /** Cookies get `Secure` and the `__Host-` prefix when the public URL is https. */
  readonly secureCookies: boolean;
  /** Acceptable but unwise settings, logged at start. */
  readonly warnings: readonly string[];
}

export interface MetricsSettings {
  /** A listener of its own for `/metrics`; undefined: none. */
  readonly port: number | undefined;
  readonly host: string;
  /** The scrapers' bearer token; never logged. */
  readonly token: string | undefined;
}

export interface UiSettings {
  readonly productName: string;
  /** A file path or a `data:image/` URL. */
  readonly logo: string | undefined;
  readonly primaryColor: string;
  readonly overridesDir: string | undefined;
  /** PORTCULLIS_GEOIP_CSV: where addresses are, for the account page. */
  readonly geoipCsv: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `15m` → 900. The schema has already checked the shape. */
export function parseDuration(value: string): number {
  const unit = value.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(value.slice(0, -1)) * UNIT_SECONDS[unit];
}

/** `5/15m` → { points: 5, durationSeconds: 900 }; `off` → null. */
export function parseRateLimit(value: string): RateLimitSetting | null {
  if (value === "off") return null;
  const [points, window] = value.split("/") as [string, string];
  return { points: Number(points), durationSeconds: parseDuration(window) };
}

function parseTrustProxy(value: string): TrustProxySetting {
  if (value === "false") return false;
  if (/^[0-9]{1,2}$/.test(value)) return Number(value);
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** `0` → 0, `500ms` → 500, `2s` → 2000. The schema has already checked the shape. */
function parseGraceMs(value: string): number {
  if (value === "0") return 0;
  return value.endsWith("ms") ? Number(value.slice(0, -2)) : Number(value.slice(0, -1)) * 1000;
}

const MAX_REFRESH_GRACE_MS = 60_000;

/** PORTCULLIS_SECRET_PREVIOUS: comma- or space-separated. */
function splitSecrets(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((secret) => secret !== "");
}

/** Values never repeated in an error message (nor printed by `config show`). */
export const REDACTED_VARIABLES: ReadonlySet<string> = new Set([
  "PORTCULLIS_SECRET",
  "PORTCULLIS_SECRET_PREVIOUS",
  "PORTCULLIS_METRICS_TOKEN",
  "SMTP_URL",
]);

/** Characters that add little entropy when repeated; a cheap guard against `aaaa…` or `1234…` secrets. */
export function describeSecretWeakness(secret: string): string | null {
  if (secret.length < 32) return "must be at least 32 characters long";
  if (new Set(secret).size < 12) return "has too few distinct characters to be a random secret";
  if (/^(.+?)\1+$/s.test(secret)) return "is a repeated pattern";
  return null;
}

/** Integers are only ever plain decimal digits: `1e3`, `0x1F90` or `3000.5` are refused, not reinterpreted. */
function convertIntegers(raw: Record<string, unknown>): Record<string, unknown> {
  const converted: Record<string, unknown> = { ...raw };
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const value = raw[name];
    if (
      (schema as { type?: unknown }).type === "integer" &&
      typeof value === "string" &&
      /^[0-9]{1,9}$/.test(value)
    ) {
      converted[name] = Number(value);
    }
  }
  return converted;
}

const MAX_SESSION_SECONDS = 400 * 86_400;

/** Addresses and CIDR ranges for the trusted-proxy list. */
function isAddressOrRange(entry: string): boolean {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Reads the environment, over the settings of a config file when one is given (`config-file.ts`:
 * the environment overrides the file). Empty strings count as unset. Unknown variables are
 * ignored; unknown keys in the file are not. Every problem, of shape or of policy, is reported
 * in one `ConfigError`; a problem with a value from the file names it as `<file>#/<NAME>`.
 * @example const config = loadConfig(process.env, findConfigFile(process.env, process.cwd()));
 */
export function loadConfig(env: Record<string, string | undefined>, file: ConfigFile | null = null): Config {
  const fromEnv: Record<string, unknown> = {};
  const fromFile: Record<string, unknown> = {};
  for (const name of Object.keys(ConfigSchema.properties)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") fromEnv[name] = value.trim();
    else if (file !== null && name in file.values) {
      const given = file.values[name];
      if (typeof given !== "string") fromFile[name] = given;
      else if (given.trim() !== "") fromFile[name] = given.trim();
    }
  }
  // Only the environment's strings become integers: the file has JSON numbers, as its schema says.
  const raw: Record<string, unknown> = { ...fromFile, ...convertIntegers(fromEnv) };
  const converted = Value.Default(ConfigSchema, { ...raw }) as Record<string, unknown>;
  const invalid = new Set<string>();
  const problems = [...Value.Errors(ConfigSchema, converted)].map((error) => {
    const name = error.path.replace(/^\//, "") || "configuration";
    invalid.add(name);
    const schema = error.schema as { description?: string };
    const given =
      name in raw ? ` (got ${JSON.stringify(REDACTED_VARIABLES.has(name) ? "<redacted>" : raw[name])})` : "";
    return `${name}: ${error.message}${given}${schema.description ? `. ${schema.description}` : ""}`;
  });
  // Policy checks run on every value that has the right shape, so one start names every problem.
  problems.push(...policyProblems(converted as RawConfig, invalid));
  const social = readSocialLoginConfig(withFileProviders(env, file), converted as RawConfig, problems);
  const all = [...(file?.problems ?? []), ...problems.map((problem) => locateProblem(problem, env, file))];
  if (all.length > 0) throw new ConfigError(all);
  return resolveConfig(converted as RawConfig, social);
}

/** The social-login variables of the file under those of the environment. */
function withFileProviders(
  env: Record<string, string | undefined>,
  file: ConfigFile | null,
): Record<string, string | undefined> {
  if (file === null) return env;
  const providers: Record<string, string> = {};
  for (const [name, value] of Object.entries(file.values)) {
    if (PROVIDER_VARIABLE.test(name) && typeof value === "string") providers[name] = value;
  }
  return { ...providers, ...env };
}

/** `NAME: …` → `<file>#/NAME: …` when the value of NAME came from the file. */
function locateProblem(
  problem: string,
  env: Record<string, string | undefined>,
  file: ConfigFile | null,
): string {
  if (file === null) return problem;
  const name = problem.slice(0, problem.indexOf(":"));
  if (!(name in file.values) || settingSource(name, env, file) !== "file") return problem;
  return `${file.path}#${jsonPointer(name)}${problem.slice(name.length)}`;
}

function policyProblems(raw: RawConfig, invalid: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const valid = (...names: (keyof RawConfig)[]) => names.every((name) => !invalid.has(name));

  if (raw.PORTCULLIS_SECRET === undefined) {
    if (valid("NODE_ENV") && raw.NODE_ENV === "production") {
      problems.push(
        "PORTCULLIS_SECRET: required when NODE_ENV=production (e.g. `openssl rand -base64 48`); it derives the key that encrypts signing keys",
      );
    }
  } else if (valid("PORTCULLIS_SECRET")) {
    const weakness = describeSecretWeakness(raw.PORTCULLIS_SECRET);
    if (weakness !== null) problems.push(`PORTCULLIS_SECRET: ${weakness} (e.g. \`openssl rand -base64 48\`)`);
  }

  if (valid("PORTCULLIS_SECRET_PREVIOUS")) {
    splitSecrets(raw.PORTCULLIS_SECRET_PREVIOUS).forEach((secret, index) => {
      const weakness = describeSecretWeakness(secret);
      // Which one, by position: never its value.
      if (weakness !== null) problems.push(`PORTCULLIS_SECRET_PREVIOUS: secret ${index + 1} ${weakness}`);
    });
  }
  if (
    valid("PORTCULLIS_REFRESH_GRACE") &&
    parseGraceMs(raw.PORTCULLIS_REFRESH_GRACE) > MAX_REFRESH_GRACE_MS
  ) {
    problems.push(
      "PORTCULLIS_REFRESH_GRACE: at most 60s (a grace window is for concurrent requests, 2s is plenty)",
    );
  }
  if (
    valid("PORT", "PORTCULLIS_METRICS_PORT") &&
    raw.PORTCULLIS_METRICS_PORT !== undefined &&
    raw.PORTCULLIS_METRICS_PORT !== 0 &&
    raw.PORTCULLIS_METRICS_PORT === raw.PORT
  ) {
    problems.push(
      "PORTCULLIS_METRICS_PORT: must differ from PORT (the metrics listener is a listener of its own)",
    );
  }
  if (valid("PORTCULLIS_METRICS_TOKEN") && raw.PORTCULLIS_METRICS_TOKEN !== undefined) {
    const weakness = describeSecretWeakness(raw.PORTCULLIS_METRICS_TOKEN);
    if (weakness !== null)
      problems.push(`PORTCULLIS_METRICS_TOKEN: ${weakness} (e.g. \`openssl rand -hex 32\`)`);
  }

  // Production must deliver mail somewhere real; an explicit outbox folder is a choice too (another program sends it).
  if (
    valid("NODE_ENV") &&
    raw.NODE_ENV === "production" &&
    raw.SMTP_URL === undefined &&
    raw.PORTCULLIS_MAIL_OUTBOX === undefined
  ) {
    problems.push(
      "SMTP_URL: required when NODE_ENV=production, or reset and verification mail reaches nobody (e.g. `smtp://user:password@smtp.example.com:587`); to hand mail to another program instead, set PORTCULLIS_MAIL_OUTBOX to a folder",
    );
  }

  if (valid("PORTCULLIS_ACCESS_TOKEN_TTL") && parseDuration(raw.PORTCULLIS_ACCESS_TOKEN_TTL) > 86_400) {
    problems.push("PORTCULLIS_ACCESS_TOKEN_TTL: at most 24h (15m is advised)");
  }
  for (const name of [
    "PORTCULLIS_REFRESH_TOKEN_TTL",
    "PORTCULLIS_REMEMBER_ME_TTL",
    "PORTCULLIS_SESSION_IDLE_TIMEOUT",
  ] as const) {
    if (valid(name) && parseDuration(raw[name]) > MAX_SESSION_SECONDS) problems.push(`${name}: at most 400d`);
  }
  if (
    valid("PORTCULLIS_ACCESS_TOKEN_TTL", "PORTCULLIS_REFRESH_TOKEN_TTL") &&
    parseDuration(raw.PORTCULLIS_REFRESH_TOKEN_TTL) < parseDuration(raw.PORTCULLIS_ACCESS_TOKEN_TTL)
  ) {
    problems.push("PORTCULLIS_REFRESH_TOKEN_TTL: must not be shorter than PORTCULLIS_ACCESS_TOKEN_TTL");
  }
  if (valid("PORTCULLIS_LOGIN_RATE_LIMIT")) {
    const limit = parseRateLimit(raw.PORTCULLIS_LOGIN_RATE_LIMIT);
    // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
    if (limit !== null && limit.points > 100) {
      problems.push("PORTCULLIS_LOGIN_RATE_LIMIT: at most 100 failures per window (NIST SP 800-63B)");
    }
  }
  if (valid("PORTCULLIS_PUBLIC_URL", "PORTCULLIS_WEBAUTHN_ORIGINS"))
    problems.push(...webauthnOriginProblems(raw));
  if (valid("PORTCULLIS_ROLE_SCOPES")) {
    const roles = valid("PORTCULLIS_ROLES") ? configuredRoles(raw) : null;
    problems.push(...readRoleScopes(raw.PORTCULLIS_ROLE_SCOPES, roles).problems);
  }
  if (valid("PORTCULLIS_SCOPES")) {
    // Portcullis's own scopes open its admin and introspection API: never a client's to hold.
    const own = new Set<string>(Object.values(SCOPES));
    const reserved = (raw.PORTCULLIS_SCOPES ?? "").split(" ").filter((scope) => own.has(scope));
    if (reserved.length > 0)
      problems.push(
        `PORTCULLIS_SCOPES: Portcullis's own scopes cannot be offered to OAuth clients: ${reserved.join(", ")}`,
      );
  }
  if (valid("PORTCULLIS_TRUST_PROXY")) {
    const setting = parseTrustProxy(raw.PORTCULLIS_TRUST_PROXY);
    const bad = Array.isArray(setting) ? setting.filter((entry) => !isAddressOrRange(entry)) : [];
    if (bad.length > 0) {
      problems.push(`PORTCULLIS_TRUST_PROXY: not an IP address or CIDR range: ${bad.join(", ")}`);
    }
  }
  return problems;
}

function resolveConfig(raw: RawConfig, social: SocialLoginConfig): Config {
  const production = raw.NODE_ENV === "production";
  const publicUrl = (raw.PORTCULLIS_PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, "");
  const accessTokenTtlSeconds = parseDuration(raw.PORTCULLIS_ACCESS_TOKEN_TTL);
  const refreshTokenTtlSeconds = parseDuration(raw.PORTCULLIS_REFRESH_TOKEN_TTL);
  const rememberMeTtlSeconds = parseDuration(raw.PORTCULLIS_REMEMBER_ME_TTL);

  const loginRateLimit = parseRateLimit(raw.PORTCULLIS_LOGIN_RATE_LIMIT);

  const warnings: string[] = [];
  if (
    production &&
    publicUrl.startsWith("http://") &&
    !/^http:\/\/(localhost|127\.|\[::1\])/.test(publicUrl)
  ) {
    warnings.push(
      "PORTCULLIS_PUBLIC_URL is plain http:// in production: cookies will not be Secure and links in mail travel unencrypted",
    );
  }
  if (production && raw.SMTP_URL === undefined) {
    warnings.push(
      "SMTP_URL is not set in production: mail is only written to PORTCULLIS_MAIL_OUTBOX; something else must deliver it",
    );
  }

  return Object.freeze({
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST ?? (production ? "0.0.0.0" : "localhost"),
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.PORTCULLIS_REDIS_PREFIX,
    dataDir: raw.PORTCULLIS_DATA_DIR,
    publicUrl,
    audience: raw.PORTCULLIS_AUDIENCE ?? publicUrl,
    secret: raw.PORTCULLIS_SECRET,
    previousSecrets: Object.freeze(
      [...new Set(splitSecrets(raw.PORTCULLIS_SECRET_PREVIOUS))].filter(
        (secret) => secret !== raw.PORTCULLIS_SECRET,
      ),
    ),
    signingAlgorithm: raw.PORTCULLIS_SIGNING_ALG,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    refreshGraceMs: parseGraceMs(raw.PORTCULLIS_REFRESH_GRACE),
    rememberMeTtlSeconds,
    sessionIdleTimeoutSeconds: parseDuration(raw.PORTCULLIS_SESSION_IDLE_TIMEOUT),
    reauthWindowSeconds: parseDuration(raw.PORTCULLIS_REAUTH_WINDOW),
    webauthn: resolveWebAuthnSettings(raw),
    sessionBinding: Object.freeze({
      userAgent: raw.PORTCULLIS_SESSION_BINDING === "user-agent" || raw.PORTCULLIS_SESSION_BINDING === "both",
      address: raw.PORTCULLIS_SESSION_BINDING === "address" || raw.PORTCULLIS_SESSION_BINDING === "both",
    }),
    loginRateLimit,
    rateLimit: parseRateLimit(raw.PORTCULLIS_RATE_LIMIT),
    emailRateLimit: parseRateLimit(raw.PORTCULLIS_EMAIL_RATE_LIMIT),
    introspectionRateLimit: parseRateLimit(raw.PORTCULLIS_INTROSPECTION_RATE_LIMIT),
    smtpUrl: raw.SMTP_URL,
    mailOutboxDir:
      raw.PORTCULLIS_MAIL_OUTBOX ??
      (production || raw.SMTP_URL !== undefined ? undefined : `${raw.PORTCULLIS_DATA_DIR}/mail-outbox`),
    mailFrom: raw.PORTCULLIS_MAIL_FROM ?? `Portcullis <no-reply@${new URL(publicUrl).hostname}>`,
    mailTemplatesDir: raw.PORTCULLIS_MAIL_TEMPLATES,
    requireVerifiedEmail: raw.PORTCULLIS_REQUIRE_VERIFIED_EMAIL === "true",
    emailTaken: raw.PORTCULLIS_EMAIL_TAKEN,
    trustProxy: parseTrustProxy(raw.PORTCULLIS_TRUST_PROXY),
    hashConcurrency: raw.PORTCULLIS_HASH_CONCURRENCY,
    hashQueue: raw.PORTCULLIS_HASH_QUEUE,
    hashNiceness: raw.PORTCULLIS_HASH_NICENESS,
    cacheEntries: raw.PORTCULLIS_CACHE_ENTRIES,
    roles: Object.freeze(configuredRoles(raw)),
    roleScopes: readRoleScopes(raw.PORTCULLIS_ROLE_SCOPES, null).roleScopes,
    resources: Object.freeze([
      ...new Set([
        raw.PORTCULLIS_AUDIENCE ?? publicUrl,
        ...(raw.PORTCULLIS_RESOURCES ?? "").split(" ").filter((uri) => uri !== ""),
      ]),
    ]),
    apiScopes: Object.freeze([
      ...new Set((raw.PORTCULLIS_SCOPES ?? "").split(" ").filter((scope) => scope !== "")),
    ]),
    oauthProviders: social.oauthProviders,
    redirectAllowlist: social.redirectAllowlist,
    auditRetentionSeconds:
      raw.PORTCULLIS_AUDIT_RETENTION === "off" ? null : parseDuration(raw.PORTCULLIS_AUDIT_RETENTION),
    logLevel: raw.PORTCULLIS_LOG_LEVEL,
    shutdownTimeoutSeconds: parseDuration(raw.PORTCULLIS_SHUTDOWN_TIMEOUT),
    metrics: Object.freeze({
      port: raw.PORTCULLIS_METRICS_PORT,
      host: raw.PORTCULLIS_METRICS_HOST,
      token: raw.PORTCULLIS_METRICS_TOKEN,
    }),
    accessLog: raw.PORTCULLIS_ACCESS_LOG,
    ui: Object.freeze({
      productName: raw.PORTCULLIS_BRAND_NAME,
      logo: raw.PORTCULLIS_BRAND_LOGO,
      primaryColor: raw.PORTCULLIS_BRAND_COLOR.toLowerCase(),
      overridesDir: raw.PORTCULLIS_UI_OVERRIDES,
      geoipCsv: raw.PORTCULLIS_GEOIP_CSV,
    }),
    secureCookies: publicUrl.startsWith("https://"),
    warnings,
  });
}
