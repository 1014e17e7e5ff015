/**
 * The one configuration schema. Each property is an environment variable: its TypeBox type
 * validates the raw value, its `default` and `description` feed the table of
 * `docs/configuration.md` (see `config-docs.ts`). `resolveConfig` turns the validated raw values
 * into the typed, frozen `Config` the rest of the server reads.
 */
import { type Static, Type } from "@sinclair/typebox";

const DURATION = "^[1-9][0-9]*(s|m|h|d)$";
const RATE_LIMIT = "^(off|[1-9][0-9]*/[1-9][0-9]*(s|m|h|d))$";

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal("development"), Type.Literal("production"), Type.Literal("test")], {
    default: "development",
    description:
      "`production` requires a strong `PORTCULLIS_SECRET` and listens on all interfaces by default.",
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: "TCP port of the HTTP API." }),
  PORTCULLIS_CONFIG: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Path of the config file (`docs/config-file.md`); it must exist. Default: `portcullis.config.json` in the working directory, when there is one. Environment only; the environment overrides the file.",
    }),
  ),
  PORTCULLIS_SHUTDOWN_TIMEOUT: Type.String({
    pattern: DURATION,
    default: "10s",
    description:
      "On SIGTERM or SIGINT, how long requests in flight may take to finish (`/readyz` answers 503 at once, new connections are refused, keep-alive connections close after their current request); what still runs then is cut. Buffered writes are flushed and the process exits 0; a second signal exits at once.",
  }),
  HOST: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Interface to listen on. Default `localhost` (IPv4 and IPv6 loopback), or `0.0.0.0` when `NODE_ENV=production`.",
    }),
  ),
  DATABASE_URL: Type.String({
    pattern: "^(sqlite:.+|postgres(ql)?://.+)$",
    default: "sqlite:./data/portcullis.db",
    description: "`sqlite:PATH` (embedded, the default) or a `postgres://` URL.",
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: "^rediss?://.+$",
      description:
        "`redis://` or `rediss://` URL. Rate-limit counters and one-time state move to Redis and revocations travel over its pub/sub; needed when several instances serve one deployment.",
    }),
  ),
  PORTCULLIS_REDIS_PREFIX: Type.String({
    pattern: "^[A-Za-z0-9:_.-]{1,64}$",
    default: "portcullis:",
    description:
      "Prefix of every Redis key and of the revocation channel (`<prefix>revocations`); lets deployments share one Redis.",
  }),
  PORTCULLIS_DATA_DIR: Type.String({
    minLength: 1,
    default: "./data",
    description: "Folder for local state: the SQLite file by default and the generated development secret.",
  }),
  PORTCULLIS_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: "^https?://[^/?#\\s]+(/[^?#\\s]*)?$",
      description:
        "Public base URL: the `iss` of tokens and the base of every link. Default `http://localhost:PORT`. An `https://` URL turns on Secure and `__Host-` cookies.",
    }),
  ),
  PORTCULLIS_AUDIENCE: Type.Optional(
    Type.String({ minLength: 1, description: "The `aud` of access tokens. Default: the public URL." }),
  ),
  PORTCULLIS_SECRET: Type.Optional(
    Type.String({
      description:
        "Master secret (≥ 32 characters, high entropy) from which the key that encrypts signing keys is derived. Required in production; outside production one is generated and kept in the data folder.",
    }),
  ),
  PORTCULLIS_SECRET_PREVIOUS: Type.Optional(
    Type.String({
      description:
        "Secret rotation: the secrets used before PORTCULLIS_SECRET, comma- or space-separated. What they sealed (signing keys, TOTP and webhook secrets) still opens and what they signed (CSRF tokens, the OpenID provider's cookies) still verifies; everything new is sealed and signed with PORTCULLIS_SECRET. `npm run cli -- secrets reseal` seals every stored secret again with the current one and says when these can be removed.",
    }),
  ),
  PORTCULLIS_SIGNING_ALG: Type.Union(
    [Type.Literal("ES256"), Type.Literal("RS256"), Type.Literal("EdDSA"), Type.Literal("HS256")],
    {
      default: "ES256",
      description:
        "Access-token algorithm. `RS256` keys are 3072-bit; `HS256` only when one service verifies and nobody needs the JWKS.",
    },
  ),
  PORTCULLIS_ACCESS_TOKEN_TTL: Type.String({
    pattern: DURATION,
    default: "15m",
    description: "Access-token lifetime (`30s`, `15m`, `1h`; at most 24h).",
  }),
  PORTCULLIS_REFRESH_TOKEN_TTL: Type.String({
    pattern: DURATION,
    default: "7d",
    description: "Absolute lifetime of a token session and its refresh tokens.",
  }),
  PORTCULLIS_REFRESH_GRACE: Type.String({
    pattern: "^(0|[1-9][0-9]{0,4}ms|[1-9][0-9]?s)$",
    default: "0",
    description:
      "Refresh grace window, for single-page apps open in many tabs: refreshes with one refresh token within this long of its rotation (`2s`, `500ms`; at most 60s) all receive the same successor refresh token, each with an access token, instead of revoking the session as reuse. A rotated token presented after the window is reuse, as always. `0`: off — of concurrent refreshes with one token exactly one succeeds.",
  }),
  PORTCULLIS_REMEMBER_ME_TTL: Type.String({
    pattern: DURATION,
    default: "30d",
    description: "Session lifetime when the login asked for `rememberMe`.",
  }),
  PORTCULLIS_SESSION_IDLE_TIMEOUT: Type.String({
    pattern: DURATION,
    default: "30m",
    description:
      "A cookie session (without `rememberMe`) ends after this long without a request; each request moves the deadline on (at most one write a minute). Its absolute lifetime is PORTCULLIS_REFRESH_TOKEN_TTL, or PORTCULLIS_REMEMBER_ME_TTL with `rememberMe`.",
  }),
  PORTCULLIS_SESSION_BINDING: Type.Union(
    [Type.Literal("off"), Type.Literal("user-agent"), Type.Literal("address"), Type.Literal("both")],
    {
      default: "off",
      description:
        "Bind cookie sessions and refresh tokens to the client that signed in: its user-agent family (versions ignored), its address prefix (/24, /64), or both; a mismatch is refused as an invalid credential. Off by default: it also ends sessions of users who switch networks or browsers.",
    },
  ),
  PORTCULLIS_REAUTH_WINDOW: Type.String({
    pattern: DURATION,
    default: "10m",
    description:
      "Step-up: sensitive acts (password change, email change, account deletion, API key creation, MFA changes, passkey registration and removal) need a sign-in or `POST /v1/auth/reauthenticate` no older than this (from `auth_time`); otherwise 401 `reauthentication_required`.",
  }),
  PORTCULLIS_WEBAUTHN_ORIGINS: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Origins besides the public URL's from which passkeys may be registered and used, comma-separated (`https://app.example.com`): each must be the public URL's host or a subdomain of it (the WebAuthn RP ID is the public URL's hostname).",
    }),
  ),
  PORTCULLIS_LOGIN_RATE_LIMIT: Type.String({
    pattern: RATE_LIMIT,
    default: "10/15m",
    description:
      "Failed logins allowed per account and client address in a window (`5/15m`), after which even the right password answers 429 until the window passes; each client address also gets 50× that across all accounts (enough for an office behind one NAT, not for a spraying attack). `off` disables it.",
  }),
  PORTCULLIS_RATE_LIMIT: Type.String({
    pattern: RATE_LIMIT,
    default: "300/1m",
    description:
      "Requests per client address to the other public endpoints (register, …). `off` disables it.",
  }),
  PORTCULLIS_EMAIL_RATE_LIMIT: Type.String({
    pattern: RATE_LIMIT,
    default: "5/1h",
    description:
      "Forgot-password and verification-resend requests per email address in a window, counted alike whether or not an account has the address; beyond it they answer 429. `off` disables it.",
  }),
  PORTCULLIS_INTROSPECTION_RATE_LIMIT: Type.String({
    pattern: RATE_LIMIT,
    default: "6000/1m",
    description:
      "Requests per API key to `POST /v1/auth/introspect` and `GET /v1/auth/revocations` (resource servers); beyond it they answer 429. `off` disables it.",
  }),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: "^smtps?://[^\\s]+$",
      description:
        "Mail delivery: `smtp://user:password@host:587` (STARTTLS when the server offers it) or `smtps://…:465`. Required in production unless `PORTCULLIS_MAIL_OUTBOX` is set. Without it, outside production, mail goes to the log and the outbox folder.",
    }),
  ),
  PORTCULLIS_MAIL_OUTBOX: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "A folder: every outgoing mail is also written there as one JSON file with `to`, `subject`, `text`, `html` (owner-only; it may hold a link with a token). Default outside production without `SMTP_URL`: `mail-outbox` in the data folder.",
    }),
  ),
  PORTCULLIS_MAIL_FROM: Type.Optional(
    Type.String({
      pattern: "^[^\\r\\n]*@[^\\r\\n]*$",
      maxLength: 320,
      description:
        "The From of outgoing mail, e.g. `Example <no-reply@example.com>`. Default `Portcullis <no-reply@HOST>` with the host of the public URL.",
    }),
  ),
  PORTCULLIS_MAIL_TEMPLATES: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "A folder of mail templates that override the built-in ones part by part: `password-reset.subject.txt`, `password-reset.txt`, `password-reset.html`, and likewise `email-verification`, `password-changed`, `new-sign-in`, `registration-attempt`, `mfa-reset`, `email-change`, `email-change-notice`, `email-changed`, `email-change-attempt`, `identity-linked`, `identities-unlinked`, `account-deleted`, `webhook-disabled`; `{{placeholders}}` as in docs/accounts.md. Checked at start.",
    }),
  ),
  PORTCULLIS_REQUIRE_VERIFIED_EMAIL: Type.Union([Type.Literal("false"), Type.Literal("true")], {
    default: "false",
    description:
      "`true`: a login with the right password answers 403 `email_not_verified` until the address is verified.",
  }),
  PORTCULLIS_EMAIL_TAKEN: Type.Union([Type.Literal("conflict"), Type.Literal("notify")], {
    default: "conflict",
    description:
      "Registration with an address that has an account: `conflict` answers 409 `email_taken`; `notify` answers 202 to every registration, new address or taken (so nobody learns which addresses have accounts), and mails the owner of a taken one.",
  }),
  PORTCULLIS_REDIRECT_ALLOWLIST: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Where social login may send the browser back to (`redirectTo`): comma-separated origins, or origins with a path prefix (`https://app.example.com,https://admin.example.com/account`). A `redirectTo` must have the same scheme, host and port as an entry and a path inside its prefix at a `/` boundary, after normalisation; user-info, backslashes and encoded separators are refused. The first entry is used when a flow names none. Default: the public URL's origin.",
    }),
  ),
  PORTCULLIS_OAUTH_GITHUB_URL: Type.String({
    pattern: "^https?://[^/?#\\s]+(/[^?#\\s]*)?$",
    default: "https://github.com",
    description:
      "Where the `github` provider's authorize and token endpoints live: a GitHub Enterprise Server host, or a local stand-in in tests (`http://` only for a loopback host outside production).",
  }),
  PORTCULLIS_OAUTH_GITHUB_API_URL: Type.String({
    pattern: "^https?://[^/?#\\s]+(/[^?#\\s]*)?$",
    default: "https://api.github.com",
    description:
      "The `github` provider's REST API (`/user`, `/user/emails`): `https://HOST/api/v3` for GitHub Enterprise Server, or a local stand-in in tests (`http://` only for a loopback host outside production).",
  }),
  PORTCULLIS_TRUST_PROXY: Type.String({
    pattern: "^(false|[0-9]{1,2}|[0-9a-fA-F:./, ]+)$",
    default: "false",
    description:
      "Which `X-Forwarded-For` hop to believe for the client address: `false` (use the socket), a hop count, or a comma-separated list of proxy addresses/CIDRs.",
  }),
  PORTCULLIS_HASH_CONCURRENCY: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 64,
      description:
        "Password hashes computed at once, one thread each (each thread also holds its next one). Default: the number of cores.",
    }),
  ),
  PORTCULLIS_HASH_NICENESS: Type.Integer({
    minimum: 0,
    maximum: 19,
    default: 10,
    description:
      "How far below the event loop the password-hash threads run (Linux `nice`, per thread): a login storm leaves the CPU to every other request first. `0` runs them at the same priority; choose it when other busy processes on the machine would otherwise starve the hashing.",
  }),
  PORTCULLIS_HASH_QUEUE: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 64,
    description: "Password hashes allowed to wait; beyond that logins answer 503 with `Retry-After`.",
  }),
  PORTCULLIS_CACHE_ENTRIES: Type.Integer({
    minimum: 1,
    maximum: 10_000_000,
    default: 10_000,
    description:
      "Entries each in-process cache keeps at most: verified access tokens, cookie sessions and users, each cache its own limit (the oldest entry goes first). An entry costs roughly 1 KiB, so the default bounds the three to some 30 MiB; a larger value saves signature checks and store reads when more distinct tokens, sessions or users are active within a few seconds (users and cookie sessions are kept 5 s, tokens until they expire).",
  }),
  PORTCULLIS_ROLES: Type.Optional(
    Type.String({
      pattern: "^ *[a-z][a-z0-9_:-]{0,63}( *, *[a-z][a-z0-9_:-]{0,63})* *$",
      description:
        "Roles beyond the built-in `user` and `admin`, comma-separated (`editor,billing`): lower-case letters, digits, `_ : -`. The admin API grants only known roles.",
    }),
  ),
  PORTCULLIS_ROLE_SCOPES: Type.String({
    maxLength: 8192,
    default: "user=events:read;admin=admin:read admin:write",
    description:
      "The scopes each role grants a session, `role=scope scope;role=scope` (`admin=admin:read admin:write;support=admin:read`). Scope guards fail closed: a credential passes `requireScopes` only with every scope named, and one without a `scope` claim has none. A session's access token carries in `scope` the union of its roles' scopes (sorted; empty when they grant none), fixed when issued — a refresh takes the roles the user holds then; a cookie session gets its owner's current roles' scopes; a role with no entry grants none. Roles must be known (`user`, `admin`, `PORTCULLIS_ROLES`), scopes are tokens like those of API keys, and `introspect` (for API keys of resource servers, which sessions never use) may go to `admin` only. The default keeps Portcullis's own routes working for sessions: `GET /v1/me/events` for every user, the admin API for administrators. Replacing it replaces all of it.",
  }),
  PORTCULLIS_SCOPES: Type.Optional(
    Type.String({
      pattern: "^[a-z][a-z0-9_:.-]{0,63}( +[a-z][a-z0-9_:.-]{0,63})*$",
      description:
        "The API scopes the OpenID provider offers, space-separated (`orders:read orders:write`): lower-case letters, digits, `_ : . -`. OAuth clients may be registered with these and with `openid profile email offline_access`, which are always offered. Default: none.",
    }),
  ),
  PORTCULLIS_RESOURCES: Type.Optional(
    Type.String({
      pattern: "^[a-z][a-z0-9+.-]*:[^ #]+( +[a-z][a-z0-9+.-]*:[^ #]+)*$",
      description:
        "Resource indicators (RFC 8707) OAuth clients may ask access tokens for, space-separated absolute URIs (`https://api.example.com`); a token's `aud` is the one asked for. PORTCULLIS_AUDIENCE is always one, and the `aud` of tokens that name none. Default: none besides it.",
    }),
  ),
  PORTCULLIS_AUDIT_RETENTION: Type.String({
    pattern: "^(off|[1-9][0-9]*(s|m|h|d))$",
    default: "365d",
    description:
      "How long audit events are kept; older ones are pruned every hour (the hash chain stays verifiable). `off` keeps them forever.",
  }),
  PORTCULLIS_BRAND_NAME: Type.String({
    minLength: 1,
    maxLength: 60,
    default: "Portcullis",
    description: "Product name on the pages for people and in their titles.",
  }),
  PORTCULLIS_BRAND_LOGO: Type.Optional(
    Type.String({
      pattern: "^(data:image/(png|jpeg|gif|webp|svg\\+xml)(;base64)?,.+|[^:]+\\.(png|jpe?g|gif|webp|svg))$",
      description:
        "Logo on the pages: a file (`.png`, `.jpg`, `.gif`, `.webp`, `.svg`; served by Portcullis with a content hash in its URL) or a `data:image/…` URL. Nothing is loaded from another origin.",
    }),
  ),
  PORTCULLIS_BRAND_COLOR: Type.String({
    pattern: "^#[0-9a-fA-F]{6}$",
    default: "#2f4fc9",
    description:
      "Primary colour of the pages (`#rrggbb`): buttons and accents. Text on it is black or white, whichever contrasts more; the dark theme uses a lighter shade.",
  }),
  PORTCULLIS_GEOIP_CSV: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'A GeoIP database as CSV (`ip_range_start,ip_range_end,country_code[,state1,state2,city,…]`, the form of the free ip-location-db and DB-IP lite files, IPv4 and IPv6), loaded at start: the account page then says where each device and security event came from ("Berlin, Germany"). Without it, the address is shown.',
    }),
  ),
  PORTCULLIS_UI_OVERRIDES: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "Folder of page overrides: `custom.css` (loaded after the built-in styles), `messages/<locale>.json` (replaces single messages, nested as in the catalogue) and `templates/header.html` / `templates/footer.html` (static markup for the frame of every page; no scripts, forms or inline styles).",
    }),
  ),
  PORTCULLIS_LOG_LEVEL: Type.Union(
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((level) => Type.Literal(level)),
    { default: "info", description: "Log level (pino)." },
  ),
  PORTCULLIS_METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description:
        "`GET /metrics` (Prometheus) on a listener of its own, at this port on PORTCULLIS_METRICS_HOST, for the scraper alone. Without it, and without PORTCULLIS_METRICS_TOKEN, the public listener answers `/metrics` only outside production and only to loopback clients (404 to anyone else).",
    }),
  ),
  PORTCULLIS_METRICS_HOST: Type.String({
    minLength: 1,
    default: "127.0.0.1",
    description: "Interface of the metrics listener (PORTCULLIS_METRICS_PORT).",
  }),
  PORTCULLIS_METRICS_TOKEN: Type.Optional(
    Type.String({
      description:
        "A bearer token (≥ 32 characters, high entropy) the scraper sends as `Authorization: Bearer …`: `GET /metrics` is then served on the public listener too, to that token only (401 otherwise), and the metrics listener asks for it as well. Compared in constant time; never logged.",
    }),
  ),
  PORTCULLIS_ACCESS_LOG: Type.Union([Type.Literal("off"), Type.Literal("errors"), Type.Literal("all")], {
    default: "all",
    description:
      "Access log: one line per request, at level `info`, with the method, the route pattern (never the URL or its query), status, duration, request id, and the user and session ids when known; no headers or bodies. `errors`: only answers with status ≥ 400. `off`: none. Lines are JSON (readable text in development on a terminal), written in batches at least once a second and at shutdown.",
  }),
});

export type RawConfig = Static<typeof ConfigSchema>;

/**
 * The variables of one social-login provider; `<ID>` is the provider id (lower-case letters and
 * digits) upper-cased: `PORTCULLIS_OAUTH_TESTIDP_ISSUER` configures `/v1/oauth/testidp/…`. The
 * ids are found by scanning the environment for `PORTCULLIS_OAUTH_<ID>_CLIENT_ID` and its siblings.
 */
export const OAuthProviderConfigSchema = Type.Object({
  "PORTCULLIS_OAUTH_<ID>_CLIENT_ID": Type.String({
    minLength: 1,
    maxLength: 512,
    description:
      "Turns on social login with provider `<id>`: the client id registered there, with redirect URI `PORTCULLIS_PUBLIC_URL/v1/oauth/<id>/callback`. `google` and `github` are presets; any other id is an OpenID Connect issuer named by `PORTCULLIS_OAUTH_<ID>_ISSUER`.",
  }),
  "PORTCULLIS_OAUTH_<ID>_CLIENT_SECRET": Type.String({
    minLength: 1,
    maxLength: 1024,
    description: "The client secret registered with provider `<id>` (required; never logged).",
  }),
  "PORTCULLIS_OAUTH_<ID>_ISSUER": Type.Optional(
    Type.String({
      pattern: "^https?://[^?#\\s]+$",
      description:
        "For ids other than `google` and `github`: the OpenID Connect issuer, found by discovery (`/.well-known/openid-configuration`); its metadata must name exactly this issuer. `http://` only for a loopback issuer outside production.",
    }),
  ),
  "PORTCULLIS_OAUTH_<ID>_SCOPES": Type.Optional(
    Type.String({
      pattern: "^[\\x21\\x23-\\x5B\\x5D-\\x7E]+([ ,]+[\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$",
      description:
        "Scopes to ask provider `<id>` for, space- or comma-separated. Default `openid email profile` (OpenID Connect; must include `openid`), `read:user user:email` for `github`.",
    }),
  ),
});

export type RawOAuthProviderConfig = Static<typeof OAuthProviderConfigSchema>;
