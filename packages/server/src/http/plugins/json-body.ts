/**
 * Request bodies: `application/json` only (anything else is 415), at most 16 KiB (413, set on
 * the Fastify instance), parsed without ever letting `__proto__`, `constructor` or `prototype`
 * keys through (ASVS 15.3.6): such a body is refused as `validation_failed`, like any other
 * unknown property. So is a string holding U+0000, which PostgreSQL refuses in text (a 500 there),
 * except a password: any character is allowed in one, and it is only ever hashed. A body nested
 * deeper than any schema goes is refused too: the validator walks `uniqueItems` arrays
 * recursively, and a few thousand `[` overflowed its stack (a 500).
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ProblemError } from "../problem.js";

export const BODY_LIMIT_BYTES = 16 * 1024;
/** No request schema nests half as deep. */
export const MAX_BODY_DEPTH = 32;

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const PASSWORD_KEYS = new Set(["password", "currentPassword", "newPassword"]);

class ForbiddenKeyError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super("forbidden key");
  }
}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key, "is not allowed");
  if (typeof value === "string" && value.includes("\u0000") && !PASSWORD_KEYS.has(key))
    throw new ForbiddenKeyError(key, "must not contain U+0000");
  return value;
}

/** Whether `text` nests arrays and objects deeper than `limit`; brackets inside strings do not count. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      // A backslash escapes the next character, a quote among them.
      if (char === 0x5c) index++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return true;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return false;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw new ProblemError("malformed_body", { detail: "The body is empty." });
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    throw new ProblemError("validation_failed", {
      errors: [{ pointer: "/", detail: `nests deeper than ${MAX_BODY_DEPTH} levels` }],
    });
  }
  try {
    // Only pay for the reviver when a suspicious key could be present at all, spelled out or
    // escaped; U+0000 can only be escaped (a raw one is not JSON).
    return /__proto__|constructor|prototype|\\u/.test(text)
      ? JSON.parse(text, rejectForbiddenKeys)
      : JSON.parse(text);
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw new ProblemError("validation_failed", {
        errors: [{ pointer: "/", detail: `the property "${error.key}" ${error.reason}` }],
      });
    }
    throw new ProblemError("malformed_body");
  }
}

export const jsonBody = fp(
  async (app: FastifyInstance) => {
    // Drop Fastify's text/plain parser too: a state-changing request must be JSON (this also
    // forces a CORS preflight for cross-site callers).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  },
  { name: "portcullis-json-body" },
);
