/**
 * Request bodies: `application/json` only (anything else is 415), at most 16 KiB (413, set on
 * the Fastify instance), parsed without ever letting `__proto__`, `constructor` or `prototype`
 * keys through (ASVS 15.3.6): such a body is refused as `validation_failed`, like any other
 * unknown property.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ProblemError } from "../problem.js";

export const BODY_LIMIT_BYTES = 16 * 1024;

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

class ForbiddenKeyError extends Error {
  constructor(readonly key: string) {
    super("forbidden key");
  }
}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
  return value;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw new ProblemError("malformed_body", { detail: "The body is empty." });
  try {
    // Only pay for the reviver when a suspicious key could be present at all, spelled out or escaped.
    return /__proto__|constructor|prototype|\\u/.test(text)
      ? JSON.parse(text, rejectForbiddenKeys)
      : JSON.parse(text);
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw new ProblemError("validation_failed", {
        errors: [{ pointer: "/", detail: `the property "${error.key}" is not allowed` }],
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
