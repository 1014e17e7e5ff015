/**
 * What makes a client registration valid (API.md "Client administration"; OAuth 2.1 and
 * RFC 9700, the OAuth security BCP). Every problem is reported at once, each with the JSON
 * Pointer of the field it is about, so the admin API, the console and the CLI say the same thing.
 *
 * - Redirect URIs are matched exactly by the provider, so they are stored as given and must be
 *   absolute, without a fragment (RFC 6749 §3.1.2) and without a wildcard (RFC 9700 §4.1.3).
 * - `https:` everywhere; `http:` only on a loopback host and only outside production (RFC 8252
 *   §7.3, for development and native apps listening on loopback); a private-use scheme in
 *   reverse-domain form (`com.example.app:/callback`, RFC 8252 §7.1) only for public clients,
 *   since only native apps use one. The same rules hold for post-logout redirect URIs, and the
 *   back-channel logout URI must be `https:` (or loopback `http:` outside production).
 * - A public client cannot use `client_credentials` (it has no secret to prove who it is);
 *   `refresh_token` comes only with `authorization_code`, which needs a redirect URI.
 * - Scopes are those the provider offers: `openid profile email offline_access` and the API
 *   scopes of `PORTCULLIS_SCOPES`.
 */
import { type ClientType, GRANT_TYPES, type GrantType, OPENID_SCOPES } from "./oauth-client.js";

export const CLIENT_NAME_MAX_LENGTH = 100;
export const CLIENT_URI_MAX_LENGTH = 2000;
export const CLIENT_MAX_URIS = 20;
export const CLIENT_MAX_SCOPES = 64;

/**
 * The scopes a client may be registered with: the OpenID Connect ones, then the API scopes.
 * @example registrableScopes(["orders:read"]) // ["openid", "profile", "email", "offline_access", "orders:read"]
 */
export function registrableScopes(apiScopes: readonly string[]): string[] {
  return [...new Set([...OPENID_SCOPES, ...apiScopes])];
}

/** Everything about a client that its administrator chooses. */
export interface ClientSettings {
  name: string;
  type: ClientType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  firstParty: boolean;
  backchannelLogoutUri: string | null;
}

export interface ClientRules {
  /** The scopes a client may be registered with. */
  allowedScopes: readonly string[];
  /** Outside production: `http://` on a loopback host is allowed too. */
  allowLoopbackHttp: boolean;
}

/** Why a field is refused, for pages that say it in the reader's language. */
export type ClientProblemCode =
  | "name_required"
  | "name_too_long"
  | "type_fixed"
  | "grant_types_required"
  | "unknown_grant_type"
  | "public_client_credentials"
  | "refresh_token_without_code"
  | "redirect_uri_required"
  | "too_many_uris"
  | "uri_too_long"
  | "uri_whitespace"
  | "uri_fragment"
  | "uri_wildcard"
  | "uri_not_absolute"
  | "uri_credentials"
  | "uri_http_in_production"
  | "uri_http_not_loopback"
  | "uri_private_use_confidential"
  | "uri_scheme"
  | "too_many_scopes"
  | "unknown_scope";

export interface ClientFieldError {
  /** JSON Pointer (RFC 6901) into the registration, e.g. `/redirectUris/0`. */
  pointer: string;
  code: ClientProblemCode;
  /** In English, for the API and the CLI. */
  detail: string;
}

/** The settings with the name trimmed and repeated list entries dropped (order kept). */
export function normalizeClientSettings(settings: ClientSettings): ClientSettings {
  const unique = (values: readonly string[]) => [...new Set(values)];
  return {
    ...settings,
    name: settings.name.trim(),
    redirectUris: unique(settings.redirectUris),
    postLogoutRedirectUris: unique(settings.postLogoutRedirectUris),
    grantTypes: unique(settings.grantTypes),
    scopes: unique(settings.scopes),
  };
}

const isGrantType = (value: string): value is GrantType => (GRANT_TYPES as readonly string[]).includes(value);

/**
 * Every problem of `settings` (normalised first by the caller); empty when they are valid.
 * @example checkClientSettings({ …, grantTypes: ["client_credentials"], type: "public" }, rules)
 * // [{ pointer: "/grantTypes", detail: "a public client cannot use client_credentials: …" }]
 */
export function checkClientSettings(settings: ClientSettings, rules: ClientRules): ClientFieldError[] {
  const errors: ClientFieldError[] = [];
  const problem = (pointer: string, code: ClientProblemCode, detail: string) =>
    errors.push({ pointer, code, detail });

  if (settings.name.length === 0) problem("/name", "name_required", "must not be empty");
  else if (settings.name.length > CLIENT_NAME_MAX_LENGTH)
    problem("/name", "name_too_long", `must be at most ${CLIENT_NAME_MAX_LENGTH} characters`);

  const grants = settings.grantTypes;
  if (grants.length === 0) problem("/grantTypes", "grant_types_required", "needs at least one grant type");
  grants.forEach((grant, index) => {
    if (!isGrantType(grant))
      problem(
        `/grantTypes/${index}`,
        "unknown_grant_type",
        `"${grant}" is not a grant type this server offers (${GRANT_TYPES.join(", ")})`,
      );
  });
  if (settings.type === "public" && grants.includes("client_credentials")) {
    problem(
      "/grantTypes",
      "public_client_credentials",
      "a public client cannot use client_credentials: it has no secret to prove who it is",
    );
  }
  if (grants.includes("refresh_token") && !grants.includes("authorization_code")) {
    problem(
      "/grantTypes",
      "refresh_token_without_code",
      "refresh_token needs authorization_code: refresh tokens come with a sign-in",
    );
  }

  if (grants.includes("authorization_code") && settings.redirectUris.length === 0) {
    problem(
      "/redirectUris",
      "redirect_uri_required",
      "needs at least one redirect URI for authorization_code",
    );
  }
  for (const field of ["redirectUris", "postLogoutRedirectUris"] as const) {
    const uris = settings[field];
    if (uris.length > CLIENT_MAX_URIS)
      problem(`/${field}`, "too_many_uris", `at most ${CLIENT_MAX_URIS} URIs`);
    uris.forEach((uri, index) => {
      const why = redirectUriProblem(uri, settings.type, rules.allowLoopbackHttp);
      if (why !== null) problem(`/${field}/${index}`, why.code, why.detail);
    });
  }
  if (settings.backchannelLogoutUri !== null) {
    const why = redirectUriProblem(settings.backchannelLogoutUri, "confidential", rules.allowLoopbackHttp);
    if (why !== null) problem("/backchannelLogoutUri", why.code, why.detail);
  }

  if (settings.scopes.length > CLIENT_MAX_SCOPES)
    problem("/scopes", "too_many_scopes", `at most ${CLIENT_MAX_SCOPES} scopes`);
  settings.scopes.forEach((scope, index) => {
    if (!rules.allowedScopes.includes(scope)) {
      problem(
        `/scopes/${index}`,
        "unknown_scope",
        `"${scope}" is not a scope this server offers (${rules.allowedScopes.join(", ")})`,
      );
    }
  });
  return errors;
}

/** `localhost`, 127.0.0.0/8 and `[::1]`, as the WHATWG URL parser spells them. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

const hasControlCharacter = (text: string) =>
  [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (`com.example.app`). */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/;

type UriProblem = { code: ClientProblemCode; detail: string };

/**
 * Why `uri` may not be a redirect URI of a client of `type`, or null when it may.
 * @example redirectUriProblem("https://app.example.com/cb#x", "confidential", false) // { code: "uri_fragment", … }
 */
export function redirectUriProblem(
  uri: string,
  type: ClientType,
  allowLoopbackHttp: boolean,
): UriProblem | null {
  const refuse = (code: ClientProblemCode, detail: string): UriProblem => ({ code, detail });
  if (uri.length > CLIENT_URI_MAX_LENGTH)
    return refuse("uri_too_long", `is longer than ${CLIENT_URI_MAX_LENGTH} characters`);
  // The parser would quietly drop or encode these; an exact match must compare what was registered.
  if (/\s/.test(uri) || hasControlCharacter(uri))
    return refuse("uri_whitespace", "contains white space or control characters");
  if (uri.includes("#"))
    return refuse("uri_fragment", "has a fragment; redirect URIs must not (RFC 6749 §3.1.2)");
  if (uri.includes("*")) return refuse("uri_wildcard", "has a wildcard; redirect URIs are matched exactly");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return refuse("uri_not_absolute", "is not an absolute URL");
  }
  if (url.username !== "" || url.password !== "")
    return refuse("uri_credentials", "must not carry a user name or password");
  const scheme = url.protocol.slice(0, -1);
  if (scheme === "https") return null;
  if (scheme === "http") {
    if (!allowLoopbackHttp) {
      return refuse(
        "uri_http_in_production",
        "must use https:// (http:// only for a loopback host outside production)",
      );
    }
    return isLoopbackHost(url.hostname)
      ? null
      : refuse(
          "uri_http_not_loopback",
          "must use https:// (http:// only for a loopback host: localhost, 127.0.0.1, [::1])",
        );
  }
  if (PRIVATE_USE_SCHEME.test(scheme)) {
    return type === "public"
      ? null
      : refuse(
          "uri_private_use_confidential",
          "a private-use scheme is for native apps, which are public clients; use https://",
        );
  }
  return refuse(
    "uri_scheme",
    "must use https://, http:// on a loopback host, or a private-use scheme such as com.example.app:/callback",
  );
}
