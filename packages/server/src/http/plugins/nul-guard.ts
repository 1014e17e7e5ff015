/**
 * No U+0000 reaches a handler through the URL. PostgreSQL refuses it in text values (SQLite
 * takes it), so an id or search term holding one was a 500 on one store and a miss on the
 * other. No id, provider name or cursor contains it: such a path parameter names nothing (404),
 * such a query value is invalid (400). Bodies are checked where they are parsed (`json-body.ts`).
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ProblemError } from "../problem.js";

/** The names of the string values (arrays of strings included) that hold U+0000. */
function namesWithNul(values: unknown): string[] {
  if (typeof values !== "object" || values === null) return [];
  return Object.entries(values)
    .filter(([, value]) =>
      (Array.isArray(value) ? value : [value]).some((item) => String(item).includes("\u0000")),
    )
    .map(([name]) => name);
}

export const nulGuard = fp(
  async (app: FastifyInstance) => {
    app.addHook("preValidation", async (request) => {
      if (namesWithNul(request.params).length > 0) throw new ProblemError("not_found");
      const query = namesWithNul(request.query);
      if (query.length > 0) {
        throw new ProblemError("validation_failed", {
          errors: query.map((name) => ({ pointer: `/${name}`, detail: "must not contain U+0000" })),
        });
      }
    });
  },
  { name: "portcullis-nul-guard" },
);
