/**
 * The social-login part of the configuration: the providers, found by scanning the environment
 * for `PORTCULLIS_OAUTH_<ID>_{CLIENT_ID,CLIENT_SECRET,ISSUER,SCOPES}` and validated against
 * `OAuthProviderConfigSchema` (each problem names the real variable), and the redirect allow-list.
 * Plain `http://` is accepted for an issuer or the GitHub URLs only on a loopback host outside
 * production (tests, a development IdP).
 */
import { isIP } from "node:net";
import { Value } from "@sinclair/typebox/value";
import {
  GITHUB_DEFAULTS,
  GOOGLE_ISSUER,
  type OAuthProviderSettings,
  OIDC_DEFAULT_SCOPES,
  PROVIDER_ID_PATTERN,
} from "../domain/oauth/providers.js";
import { describeAllowlistEntryProblem } from "../domain/oauth/redirect-allowlist.js";
import { OAuthProviderConfigSchema, type RawConfig, type RawOAuthProviderConfig } from "./config-schema.js";

const PROVIDER_VARIABLE = /^PORTCULLIS_OAUTH_([A-Z0-9]+)_(CLIENT_ID|CLIENT_SECRET|ISSUER|SCOPES)$/;
const PRESETS = new Set(["google", "github"]);

export interface SocialLoginConfig {
  oauthProviders: readonly OAuthProviderSettings[];
  redirectAllowlist: readonly string[];
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** Why `url` may not be used to reach a provider, or null. */
function insecureUrlProblem(url: string, production: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && !production && isLoopbackHost(parsed.hostname)) return null;
  return "must be https:// (plain http:// only for a loopback host outside production)";
}

function splitScopes(value: string | undefined): string[] | undefined {
  return value
    ?.split(/[ ,]+/)
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
}

/** The public URL's origin: the default allow-list (a malformed URL is reported by its own check). */
function publicOrigin(config: RawConfig): string {
  try {
    return new URL(config.PORTCULLIS_PUBLIC_URL ?? `http://localhost:${config.PORT}`).origin;
  } catch {
    return "http://localhost";
  }
}

/** The provider variables of the environment, grouped by provider id. */
function scanProviders(env: Record<string, string | undefined>): Map<string, Record<string, string>> {
  const byId = new Map<string, Record<string, string>>();
  for (const [name, value] of Object.entries(env)) {
    const match = PROVIDER_VARIABLE.exec(name);
    if (match === null || value === undefined || value.trim() === "") continue;
    const [, upperId = "", suffix = ""] = match;
    const raw = byId.get(upperId) ?? {};
    raw[`PORTCULLIS_OAUTH_<ID>_${suffix}`] = value.trim();
    byId.set(upperId, raw);
  }
  return byId;
}

function readProvider(
  upperId: string,
  raw: Record<string, string>,
  config: RawConfig,
  problems: string[],
): OAuthProviderSettings | null {
  const id = upperId.toLowerCase();
  const name = (suffix: string) => `PORTCULLIS_OAUTH_${upperId}_${suffix}`;
  const before = problems.length;
  if (!PROVIDER_ID_PATTERN.test(id)) {
    problems.push(`${name("CLIENT_ID")}: the provider id must be 1–32 letters and digits`);
  }
  const reported = new Set<string>();
  for (const error of Value.Errors(OAuthProviderConfigSchema, raw)) {
    const key = error.path.replace(/^\//, "");
    // TypeBox may report one missing property twice; one problem per variable.
    if (reported.has(key)) continue;
    reported.add(key);
    const value = raw[key];
    const given =
      value === undefined || key.endsWith("_CLIENT_SECRET") ? "" : ` (got ${JSON.stringify(value)})`;
    const description = (error.schema as { description?: string }).description ?? "";
    problems.push(
      `${key.replace("<ID>", upperId)}: ${error.message}${given}. ${description.replaceAll("<ID>", upperId).replaceAll("<id>", id)}`,
    );
  }
  const settings = raw as Partial<RawOAuthProviderConfig>;
  const issuer = settings["PORTCULLIS_OAUTH_<ID>_ISSUER"];
  const scopes = splitScopes(settings["PORTCULLIS_OAUTH_<ID>_SCOPES"]);
  const production = config.NODE_ENV === "production";

  if (PRESETS.has(id) && issuer !== undefined) {
    problems.push(
      id === "github"
        ? `${name("ISSUER")}: github is plain OAuth 2.0, not an OpenID Connect issuer; for GitHub Enterprise set PORTCULLIS_OAUTH_GITHUB_URL and PORTCULLIS_OAUTH_GITHUB_API_URL`
        : `${name("ISSUER")}: google is a preset (${GOOGLE_ISSUER}); use another id for another issuer`,
    );
  }
  if (!PRESETS.has(id) && issuer === undefined) {
    problems.push(
      `${name("ISSUER")}: required for provider "${id}" (an OpenID Connect issuer URL; only google and github are presets)`,
    );
  }
  if (issuer !== undefined && !PRESETS.has(id)) {
    const problem = insecureUrlProblem(issuer, production);
    if (problem !== null) problems.push(`${name("ISSUER")}: ${problem}`);
  }
  if (id !== "github" && scopes !== undefined && !scopes.includes("openid")) {
    problems.push(`${name("SCOPES")}: must include openid (provider "${id}" is OpenID Connect)`);
  }
  if (id === "github") {
    for (const variable of ["PORTCULLIS_OAUTH_GITHUB_URL", "PORTCULLIS_OAUTH_GITHUB_API_URL"] as const) {
      const problem = insecureUrlProblem(config[variable], production);
      if (problem !== null) problems.push(`${variable}: ${problem}`);
    }
  }
  if (problems.length > before) return null;

  const common = {
    id,
    clientId: settings["PORTCULLIS_OAUTH_<ID>_CLIENT_ID"] ?? "",
    clientSecret: settings["PORTCULLIS_OAUTH_<ID>_CLIENT_SECRET"] ?? "",
  };
  if (id === "github") {
    return Object.freeze({
      ...common,
      kind: "github",
      scopes: Object.freeze(scopes ?? [...GITHUB_DEFAULTS.scopes]),
      webUrl: config.PORTCULLIS_OAUTH_GITHUB_URL.replace(/\/+$/, ""),
      apiUrl: config.PORTCULLIS_OAUTH_GITHUB_API_URL.replace(/\/+$/, ""),
    });
  }
  return Object.freeze({
    ...common,
    kind: "oidc",
    scopes: Object.freeze(scopes ?? [...OIDC_DEFAULT_SCOPES]),
    issuer: id === "google" ? GOOGLE_ISSUER : (issuer ?? ""),
  });
}

/**
 * Reads the providers and the allow-list, appending every problem to `problems`.
 * @example const social = readSocialLoginConfig(process.env, raw, problems);
 */
export function readSocialLoginConfig(
  env: Record<string, string | undefined>,
  config: RawConfig,
  problems: string[],
): SocialLoginConfig {
  const oauthProviders: OAuthProviderSettings[] = [];
  for (const [upperId, raw] of [...scanProviders(env)].sort(([a], [b]) => a.localeCompare(b))) {
    const provider = readProvider(upperId, raw, config, problems);
    if (provider !== null) oauthProviders.push(provider);
  }

  const entries =
    config.PORTCULLIS_REDIRECT_ALLOWLIST === undefined
      ? [publicOrigin(config)]
      : config.PORTCULLIS_REDIRECT_ALLOWLIST.split(",")
          .map((entry) => entry.trim())
          .filter((entry) => entry !== "");
  // The default is the public URL's origin, whose own check reports a malformed URL.
  const given = config.PORTCULLIS_REDIRECT_ALLOWLIST === undefined ? [] : entries;
  for (const entry of given) {
    const problem = describeAllowlistEntryProblem(entry);
    if (problem !== null) problems.push(`PORTCULLIS_REDIRECT_ALLOWLIST: ${JSON.stringify(entry)} ${problem}`);
  }
  if (entries.length === 0) problems.push("PORTCULLIS_REDIRECT_ALLOWLIST: names no entry");
  return { oauthProviders: Object.freeze(oauthProviders), redirectAllowlist: Object.freeze(entries) };
}
