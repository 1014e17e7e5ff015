/**
 * Invariant: no request, however malformed, makes the server fail. For every endpoint the app's
 * own OpenAPI document lists (so a new route is fuzzed without touching this file), fast-check
 * generates bodies from the route's request schema and mutates them — wrong types, huge strings,
 * deep nesting, `__proto__`/`constructor` keys, invalid UTF-8, NUL bytes, duplicate keys, numbers
 * at the edges, empty and absent bodies — along with the content type, the credentials (none,
 * garbage, a signed-in user's, an administrator's, an API key) and the query string. Every answer
 * is below 500, every 4xx is an RFC 9457 problem with a stable `code`, no promise is left
 * rejected, and no log line carries a planted secret (API.md "Conventions"; ASVS 1.5, 16.2.5).
 *
 * `npm test` runs a few hundred cases per endpoint with a fixed seed; `npm run fuzz` raises
 * `PORTCULLIS_FUZZ_RUNS` (and `PORTCULLIS_FUZZ_SEED` picks another seed).
 */
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createSignedInUser, type SignedIn } from "../support/accounts.js";
import { createTestApp, STRONG_PASSWORD, TEST_SECRET } from "../support/test-app.js";

const RUNS = Number(process.env.PORTCULLIS_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? 20_261_203);

/** The subset of JSON Schema (as TypeBox emits it into the OpenAPI document) the generator reads. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  parameters?: Array<{ in: string; name: string; schema?: JsonSchema }>;
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  /** Declares JSON answers, so its 4xx must be problems; hosted pages and `/metrics` need only stay below 500. */
  json: boolean;
  body: JsonSchema | null;
  query: Array<{ name: string; schema: JsonSchema }>;
}

/** One generated request, before the planted secrets replace their placeholders. */
interface FuzzRequest {
  path: string;
  query: string;
  payload: string | Buffer | undefined;
  headers: Record<string, string>;
}

const logLines: string[] = [];
const t = await createTestApp({
  env: { PORTCULLIS_LOG_LEVEL: "trace" },
  logStream: { write: (line) => logLines.push(line) },
});

/** Routes are read from the app itself: everything the OpenAPI document lists is fuzzed. */
const openApi = (await t.get("/openapi.json")).json<{
  paths: Record<string, Record<string, OpenApiOperation>>;
}>();
const endpoints: Endpoint[] = Object.entries(openApi.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, operation]) => ({
    method: method.toUpperCase() as Endpoint["method"],
    path,
    json: Object.values(operation.responses ?? {}).some((response) =>
      Object.keys(response.content ?? {}).some((type) => type.endsWith("json")),
    ),
    body: operation.requestBody?.content?.["application/json"]?.schema ?? null,
    query: (operation.parameters ?? [])
      .filter((parameter) => parameter.in === "query")
      .map((parameter) => ({ name: parameter.name, schema: parameter.schema ?? {} })),
  })),
);

// Placeholders the generators use for live credentials and ids; replaced just before sending,
// so accounts can be replaced when a fuzzed request deletes, disables or signs one out.
const PLANTED = {
  password: "@@password@@",
  email: "@@email@@",
  accessToken: "@@accessToken@@",
  refreshToken: "@@refreshToken@@",
  userId: "@@userId@@",
  adminId: "@@adminId@@",
  apiKeyId: "@@apiKeyId@@",
} as const;

interface Accounts {
  user: SignedIn;
  admin: SignedIn;
  apiKey: { id: string; key: string };
}
let accounts: Accounts;
/** Every credential ever issued during the run: none may appear in a log line. */
const secrets = new Set<string>([STRONG_PASSWORD, TEST_SECRET]);

async function signInUser(): Promise<SignedIn> {
  const user = await createSignedInUser(t);
  secrets.add(user.accessToken).add(user.refreshToken);
  return user;
}
async function signInAdmin(): Promise<SignedIn> {
  const admin = await createSignedInUser(t, ["user", "admin"]);
  secrets.add(admin.accessToken).add(admin.refreshToken);
  return admin;
}
async function issueApiKey(owner: SignedIn): Promise<Accounts["apiKey"]> {
  const created = await createApiKey(t, owner, { name: "fuzz" });
  secrets.add(created.key);
  return { id: created.apiKey.id, key: created.key };
}

/** Replaces whichever account a fuzzed request signed out, deleted, disabled or demoted. */
async function keepAccountsUsable(): Promise<void> {
  const me = await t.get("/v1/me", { authorization: `Bearer ${accounts.user.accessToken}` });
  if (me.statusCode !== 200) accounts.user = await signInUser();
  const users = await t.get("/v1/admin/users?limit=1", {
    authorization: `Bearer ${accounts.admin.accessToken}`,
  });
  if (users.statusCode !== 200) accounts.admin = await signInAdmin();
  const key = await t.get("/v1/me", { "x-api-key": accounts.apiKey.key });
  if (key.statusCode !== 200) accounts.apiKey = await issueApiKey(accounts.user);
}

function substitute(text: string): string {
  return text
    .replaceAll(PLANTED.password, STRONG_PASSWORD)
    .replaceAll(PLANTED.email, accounts.user.email)
    .replaceAll(PLANTED.accessToken, accounts.user.accessToken)
    .replaceAll(PLANTED.refreshToken, accounts.user.refreshToken)
    .replaceAll(PLANTED.userId, accounts.user.user.id)
    .replaceAll(PLANTED.adminId, accounts.admin.user.id)
    .replaceAll(PLANTED.apiKeyId, accounts.apiKey.id);
}

// ---------------------------------------------------------------------------------------------
// Generators

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 40,
});
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\u0000admin",
    "\ud800",
    "\udfff\ud800",
    "é\u0301",
    "\u202e",
    "%00",
    "' OR 1=1 --",
  ),
);
const HUGE_LENGTHS = [1_000, 15_000, 16_500, 100_000, 1_100_000] as const;
/** Raw JSON number tokens at and past the edges of what JSON.parse and SQLite hold. */
const EDGE_NUMBERS = [
  "0",
  "-0",
  "1e309",
  "-1e309",
  "1e-400",
  "9007199254740993",
  "-9223372036854775809",
  "18446744073709551616",
  "4294967296",
  "2147483648",
  "0.1",
  "1e2",
  "-1",
  "1.7976931348623157e308",
  "5e-324",
] as const;
/** Not JSON at all, though some parsers accept them. */
const BROKEN_NUMBERS = ["NaN", "Infinity", "-Infinity", "01", "1.", ".5", "0x10", "+1", "1_000"] as const;

/** Guesses which placeholder a field of this name would carry, so real secrets reach the handlers. */
function plantedFor(name: string | undefined): fc.Arbitrary<string> | null {
  if (name === undefined) return null;
  if (/password/i.test(name)) return fc.constant(PLANTED.password);
  if (/email/i.test(name)) return fc.constant(PLANTED.email);
  if (/token|code|key|secret/i.test(name))
    return fc.constantFrom(PLANTED.refreshToken, PLANTED.accessToken, PLANTED.password);
  if (/id$/i.test(name)) return fc.constantFrom(PLANTED.userId, PLANTED.adminId, PLANTED.apiKeyId);
  return null;
}

function stringFor(schema: JsonSchema, name?: string): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 64, Math.max(minLength, 64));
  const choices: fc.Arbitrary<string>[] = [fc.string({ minLength, maxLength })];
  if (schema.pattern !== undefined)
    choices.push(fc.stringMatching(new RegExp(schema.pattern), { maxLength }));
  if (schema.format === "email" || /email/i.test(name ?? "")) choices.push(fc.emailAddress());
  if (schema.format === "uri" || /ur[il]/i.test(name ?? ""))
    choices.push(
      fc.webUrl(),
      fc.constantFrom("http://127.0.0.1/cb", "com.example.app:/cb", "javascript:alert(1)"),
    );
  if (schema.format === "date-time")
    choices.push(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()));
  const planted = plantedFor(name);
  if (planted !== null) choices.push(planted);
  return fc.oneof(...choices);
}

/** A value valid for `schema` (as far as this generator understands it). */
function valueFor(schema: JsonSchema, name?: string, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined && alternatives.length > 0)
    return fc.oneof(...alternatives.map((alternative) => valueFor(alternative, name, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return stringFor(schema, name);
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(depth > 3 ? fc.constant(null) : valueFor(schema.items ?? {}, name, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case "object": {
      const properties = schema.properties ?? {};
      if (depth > 3 || Object.keys(properties).length === 0) return fc.constant({});
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, valueFor(property, key, depth + 1)]),
      );
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Any JSON value of the wrong kind, to put where the schema wants something else. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  anyText,
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(printable, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.double(),
  fc.constant({ $gt: "" }),
);

/** Splices `insert` (raw JSON members, ending in a comma) just inside the outermost `{`. */
const spliceMembers = (json: string, insert: string) =>
  json.startsWith("{") ? `{${insert}${json.length > 2 ? json.slice(1) : `"_":0}`}` : json;

/** A body for `schema`: valid, mutated in one of the ways a hostile client would, or not JSON at all. */
function bodyFor(schema: JsonSchema | null): fc.Arbitrary<string | Buffer | undefined> {
  const valid = (schema === null ? fc.constant({}) : valueFor(schema)).map(
    (value) => (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>,
  );
  const keys = Object.keys(schema?.properties ?? {});
  const key = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant("name");
  const serialised = valid.map((body) => JSON.stringify(body));
  return fc.oneof(
    { arbitrary: serialised, weight: 4 },
    // A property of the wrong type, or one the schema does not know (mass assignment).
    fc
      .tuple(valid, key, wrongValue)
      .map(([body, field, value]) => JSON.stringify({ ...body, [field]: value })),
    fc
      .tuple(valid, fc.constantFrom("roles", "isAdmin", "emailVerified", "id", "userId"))
      .map(([body, field]) => JSON.stringify({ ...body, [field]: field === "roles" ? ["admin"] : true })),
    // Prototype keys, raw so that they are own members in the JSON text.
    fc
      .tuple(
        serialised,
        fc.constantFrom(
          `"__proto__":{"roles":["admin"],"isAdmin":true},`,
          `"constructor":{"prototype":{"isAdmin":true}},`,
          `"__proto__":null,`,
          `"__proto__":{"__proto__":{"polluted":1}},`,
          `"prototype":{},"hasOwnProperty":1,"toString":"x",`,
        ),
      )
      .map(([json, members]) => spliceMembers(json, members)),
    // Duplicate keys: the first, or the last, must not slip past validation differently.
    fc
      .tuple(serialised, key, wrongValue)
      .map(([json, field, value]) =>
        spliceMembers(json, `${JSON.stringify(field)}:${JSON.stringify(value)},`),
      ),
    // Huge strings, around and far over the 16 KiB limit.
    fc
      .tuple(valid, key, fc.constantFrom(...HUGE_LENGTHS), fc.constantFrom("a", "é", "\u0000", "😀"))
      .map(([body, field, length, char]) => JSON.stringify({ ...body, [field]: char.repeat(length) })),
    // Deep nesting, under and over the size limit.
    fc
      .tuple(serialised, key, fc.constantFrom(64, 1_000, 5_000, 8_000, 50_000), fc.boolean())
      .map(([json, field, depth, arrays]) =>
        spliceMembers(
          json,
          `${JSON.stringify(field)}:${arrays ? "[".repeat(depth) : '{"a":'.repeat(depth)}1${arrays ? "]".repeat(depth) : "}".repeat(depth)},`,
        ),
      ),
    // Invalid UTF-8 and NUL bytes, inside a string value and between tokens.
    fc
      .tuple(
        serialised,
        key,
        fc.constantFrom(
          [0xff],
          [0xc0, 0x80],
          [0xed, 0xa0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
          [0xe2, 0x82],
          [0x00],
          [0xfe, 0xff],
        ),
        fc.boolean(),
      )
      .map(([json, field, bytes, inString]) => {
        const [head, tail] = inString
          ? [`{${JSON.stringify(field)}:"x`, `",${json.slice(1)}`]
          : [`{${JSON.stringify(field)}:1`, `,${json.slice(1)}`];
        return Buffer.concat([
          Buffer.from(head),
          Buffer.from(bytes),
          Buffer.from(json === "{}" ? "}" : tail),
        ]);
      }),
    fc
      .tuple(valid, key, fc.constantFrom("\u0000", "a\u0000b", "\u0000".repeat(100), "\\u0000"))
      .map(([body, field, value]) => JSON.stringify({ ...body, [field]: value })),
    // Numbers at the edges, and tokens that are not JSON numbers.
    fc
      .tuple(serialised, key, fc.constantFrom(...EDGE_NUMBERS, ...BROKEN_NUMBERS))
      .map(([json, field, number]) => spliceMembers(json, `${JSON.stringify(field)}:${number},`)),
    // Not an object, not JSON, truncated, empty or absent.
    fc.constantFrom(
      undefined,
      "",
      " ",
      "null",
      "[]",
      "[{}]",
      '"x"',
      "true",
      "0",
      "{",
      "}",
      "{}}",
      "\ufeff{}",
      "{,}",
    ),
    fc.tuple(serialised, fc.nat()).map(([json, cut]) => json.slice(0, cut % Math.max(json.length, 1))),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  );
}

const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 6 },
  fc.constantFrom(
    undefined,
    "application/json; charset=utf-8",
    "application/json; charset=latin1",
    "application/json; charset=utf-16",
    "Application/JSON",
    "application/json, text/plain",
    "application/problem+json",
    "application/merge-patch+json",
    "text/plain",
    "text/html",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
    ";",
    "application/json;;;",
  ),
  printable,
);

// Mostly real credentials, so that most cases get past the guard to the handler.
const authorization = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      { kind: "none" },
      { kind: "user" },
      { kind: "user" },
      { kind: "admin" },
      { kind: "admin" },
      { kind: "admin" },
      { kind: "apiKey" },
      { kind: "cookie" },
    ),
    weight: 6,
  },
  fc
    .constantFrom(
      "Bearer",
      "Bearer ",
      "Bearer \u0000",
      "bearer x.y.z",
      "Basic dXNlcjpwYXNz",
      "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
      "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
      "Bearer a.b.c.d.e",
      `Bearer ${"A".repeat(8_000)}`,
      `Bearer ${PLANTED.refreshToken}`,
      `Bearer ${PLANTED.accessToken}x`,
      `Bearer ${PLANTED.password}`,
      "DPoP x",
    )
    .map((header) => ({ kind: "raw" as const, header })),
  printable.map((header) => ({ kind: "raw" as const, header })),
);

const headerNoise = fc.record(
  {
    cookie: fc.constantFrom(
      "pc_session=garbage",
      `pc_refresh=${PLANTED.refreshToken}`,
      "pc_session=; pc_session=x",
      "__Host-pc_session=%ff%00",
      `pc_refresh=${PLANTED.password}`,
    ),
    "x-csrf-token": printable,
    "x-api-key": fc.oneof(printable, fc.constantFrom("pc_", `pc_${"x".repeat(500)}`, PLANTED.password)),
    "x-forwarded-for": fc.constantFrom("1.2.3.4", "::1", "garbage", "1.1.1.1, 2.2.2.2", ""),
    accept: fc.constantFrom("*/*", "text/html", "application/json", "x/y;q=abc"),
    "accept-language": fc.constantFrom("*", "de-CH,de;q=0.9", "zz", ";;;", "x".repeat(300)),
  },
  { requiredKeys: [] },
);
// Noise on a minority of cases: a garbage `X-API-Key` or cookie alone already stops most at the guard.
const extraHeaders = fc.oneof({ arbitrary: fc.constant({}), weight: 3 }, headerNoise);

const pathParameter = fc.oneof(
  fc.constantFrom(PLANTED.userId, PLANTED.adminId, PLANTED.apiKeyId, "github", "google", "oidc"),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  fc.constantFrom(
    "%00",
    "%ff",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "a".repeat(2_000),
    "%F0%9F%98%80",
    "'",
    "null",
    "-1",
    "0",
  ),
);

/** Percent-encodes the UTF-8 of `text`; unlike `encodeURIComponent` it takes lone surrogates too. */
const percentEncode = (text: string) =>
  [...Buffer.from(text, "utf8")]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, "0")}`,
    )
    .join("");

/** One query value: what the schema wants, or something it does not. */
function queryValue(schema: JsonSchema, name: string): fc.Arbitrary<string> {
  return fc.oneof(
    valueFor(schema, name).map((value) =>
      percentEncode(typeof value === "string" ? value : JSON.stringify(value)),
    ),
    fc.constantFrom(
      ...EDGE_NUMBERS,
      ...BROKEN_NUMBERS,
      "",
      "%00",
      "%zz",
      "%",
      "%ff%fe",
      "[]",
      "x".repeat(5_000),
    ),
    anyText.map(percentEncode),
  );
}

function queryFor(endpoint: Endpoint): fc.Arbitrary<string> {
  const declared = endpoint.query.map(({ name, schema }) =>
    fc.option(
      fc
        .array(queryValue(schema, name), { minLength: 1, maxLength: 2 })
        .map((values) => values.map((value) => `${name}=${value}`).join("&")),
      { nil: "" },
    ),
  );
  const extra = fc.option(
    fc.constantFrom(
      "__proto__[x]=1",
      "constructor=1",
      "a[b][c]=1",
      "=",
      "&&&",
      "redirectTo=https://evil.example",
    ),
    { nil: "" },
  );
  return fc
    .tuple(fc.tuple(...declared), extra)
    .map(([values, junk]) => [...values, junk].filter((part) => part !== "").join("&"));
}

function requestFor(endpoint: Endpoint): fc.Arbitrary<FuzzRequest> {
  const parameters = endpoint.path.match(/\{[^}]+\}/g) ?? [];
  const hasBody = endpoint.method !== "GET" && endpoint.method !== "DELETE";
  return fc
    .record({
      values: fc.tuple(...parameters.map(() => pathParameter)),
      query: queryFor(endpoint),
      payload: hasBody ? bodyFor(endpoint.body) : fc.option(bodyFor(null), { nil: undefined, freq: 4 }),
      type: contentType,
      auth: authorization,
      extra: extraHeaders,
    })
    .map(({ values, query, payload, type, auth, extra }) => {
      let path = endpoint.path;
      values.forEach((value, index) => {
        path = path.replace(parameters[index] ?? "", value);
      });
      const headers: Record<string, string> = { ...extra };
      if (type !== undefined) headers["content-type"] = type;
      if (auth.kind === "raw") headers.authorization = auth.header;
      else if (auth.kind !== "none") headers["x-fuzz-credential"] = auth.kind;
      return { path, query, payload, headers };
    });
}

// ---------------------------------------------------------------------------------------------
// The run

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
/** Status counts over the whole file, for the figures in docs/security.md. */
const statuses = new Map<number, number>();
let requests = 0;
let linesScanned = 0;

async function send(endpoint: Endpoint, request: FuzzRequest): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = substitute(value);
  const credential = headers["x-fuzz-credential"];
  delete headers["x-fuzz-credential"];
  if (credential === "user") headers.authorization = `Bearer ${accounts.user.accessToken}`;
  if (credential === "admin") headers.authorization = `Bearer ${accounts.admin.accessToken}`;
  if (credential === "apiKey") headers["x-api-key"] = accounts.apiKey.key;
  if (credential === "cookie") headers.cookie = `pc_session=${accounts.user.refreshToken}`;
  const payload =
    typeof request.payload === "string"
      ? substitute(request.payload)
      : request.payload === undefined
        ? undefined
        : Buffer.from(substitute(request.payload.toString("latin1")), "latin1");
  const url = substitute(request.path) + (request.query === "" ? "" : `?${substitute(request.query)}`);
  requests++;
  return t.app.inject({
    method: endpoint.method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
}

/** Throws (so fast-check shrinks the case) unless the answer keeps the invariant. */
function checkAnswer(endpoint: Endpoint, response: LightMyRequestResponse): void {
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  if (response.statusCode >= 500)
    throw new Error(`answered ${response.statusCode}: ${response.body.slice(0, 500)}`);
  if (response.statusCode < 400 || !endpoint.json) return;
  const type = String(response.headers["content-type"] ?? "");
  if (!type.startsWith("application/problem+json"))
    throw new Error(`${response.statusCode} is not a problem (${type}): ${response.body.slice(0, 200)}`);
  const body = response.json<{ code?: unknown; status?: unknown }>();
  if (typeof body.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(body.code))
    throw new Error(`problem without a stable code: ${response.body.slice(0, 200)}`);
  if (body.status !== response.statusCode)
    throw new Error(`problem status ${String(body.status)} ≠ ${response.statusCode}`);
}

/** Plants the credentials a fuzzed request was handed (new tokens, keys, client secrets) too. */
function collectIssuedSecrets(response: LightMyRequestResponse): void {
  if (response.statusCode >= 300 || !String(response.headers["content-type"]).startsWith("application/json"))
    return;
  JSON.parse(response.body, (key, value: unknown) => {
    if (typeof value === "string" && value.length >= 16 && /token|key|secret|code/i.test(key))
      secrets.add(value);
    return value;
  });
}

function leakedSecrets(): string[] {
  const leaks = logLines.flatMap((line) =>
    [...secrets]
      .filter((secret) => line.includes(secret))
      .map((secret) => `${secret.slice(0, 6)}… in ${line.slice(0, 300)}`),
  );
  linesScanned += logLines.length;
  logLines.length = 0;
  return leaks;
}

describe(`fuzzing every endpoint of the OpenAPI document (${RUNS} runs each, seed ${SEED})`, () => {
  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    const user = await signInUser();
    accounts = { user, admin: await signInAdmin(), apiKey: await issueApiKey(user) };
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
    console.info(
      `fuzz: ${endpoints.length} endpoints, ${requests} requests, statuses ${counts.join(" ")}; ` +
        `${linesScanned} log lines scanned for ${secrets.size} planted secrets`,
    );
    await t.close();
  });

  it("reads a route list from the app, and would see a secret in the log", () => {
    // A broken OpenAPI document would silently fuzz nothing, a broken capture would hide every leak.
    expect(endpoints.length).toBeGreaterThan(40);
    expect(endpoints.some(({ path }) => path === "/v1/auth/login")).toBe(true);
    t.app.log.info({ note: accounts.user.refreshToken }, "planted");
    expect(leakedSecrets()).toHaveLength(1);
  });

  it.each(endpoints.map((endpoint) => [`${endpoint.method} ${endpoint.path}`, endpoint] as const))(
    "%s: never 5xx, every 4xx a problem with a code, no rejection, no secret logged",
    async (_name, endpoint) => {
      await fc.assert(
        fc.asyncProperty(requestFor(endpoint), async (request) => {
          const response = await send(endpoint, request);
          checkAnswer(endpoint, response);
          collectIssuedSecrets(response);
          if (endpoint.method !== "GET" && response.statusCode < 400) await keepAccountsUsable();
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: RUNS > 1_000 },
      );
      // Let a rejection that escaped a handler surface before judging this endpoint.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(leakedSecrets()).toEqual([]);
    },
    Math.max(30_000, RUNS * 60),
  );
});
