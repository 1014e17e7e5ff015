/**
 * Every failure leaves as an RFC 9457 problem with a stable `code`: validation and body-parsing
 * errors from Fastify, `ProblemError`s from routes, overload from the domain. Anything
 * unexpected is logged and answered with a bare 500 that reveals nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { DependencyUnavailableError, ServiceBusyError } from "../../domain/errors.js";
import { type ProblemCode, ProblemError, type ProblemFieldError, sendProblem } from "../problem.js";

const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "malformed_body",
  FST_ERR_CTP_EMPTY_JSON_BODY: "malformed_body",
  FST_ERR_CTP_INVALID_JSON_BODY: "malformed_body",
};

const STATUS_CODES: Record<number, ProblemCode> = {
  400: "malformed_body",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** One entry per offending field: the validator may report several reasons for the same one. */
function fieldErrors(error: FastifyError): ProblemFieldError[] {
  const byPointer = new Map<string, ProblemFieldError>();
  for (const issue of error.validation ?? []) {
    const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty;
    const pointer = missing === undefined ? issue.instancePath || "/" : `${issue.instancePath}/${missing}`;
    if (!byPointer.has(pointer)) byPointer.set(pointer, { pointer, detail: issue.message ?? "is not valid" });
  }
  return [...byPointer.values()];
}

/**
 * Fastify's `frameworkErrors`: the router answers these itself, before any hook or the error
 * handler, in its own JSON shape. A parameter longer than `maxParamLength` cannot be any id.
 * @example Fastify({ frameworkErrors: answerFrameworkError })
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") sendProblem(reply, "not_found");
  else sendProblem(reply, "validation_failed", { status: 400 });
}

export interface ErrorHandlingOptions {
  /** Recognises errors of a store that is down (the database restarting): 503, not 500. */
  isDependencyDown?: (error: unknown) => boolean;
}

export const errorHandling = fp(
  async (app: FastifyInstance, options: ErrorHandlingOptions) => {
    app.setErrorHandler((error: FastifyError | Error, request, reply) => {
      if (error instanceof ProblemError) return sendProblem(reply, error.code, error.options);
      if (error instanceof ServiceBusyError) {
        return sendProblem(reply, "server_busy", {
          headers: { "retry-after": String(error.retryAfterSeconds) },
        });
      }
      if (error instanceof DependencyUnavailableError || options.isDependencyDown?.(error) === true) {
        request.log.warn({ err: error }, "dependency unavailable");
        return sendProblem(reply, "service_unavailable", { headers: { "retry-after": "1" } });
      }
      const fastifyError = error as FastifyError;
      if (fastifyError.validation !== undefined) {
        return sendProblem(reply, "validation_failed", { errors: fieldErrors(fastifyError) });
      }
      const mapped =
        (fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code]) ??
        (fastifyError.statusCode === undefined ? undefined : STATUS_CODES[fastifyError.statusCode]);
      if (mapped !== undefined) return sendProblem(reply, mapped);
      if (
        fastifyError.statusCode !== undefined &&
        fastifyError.statusCode >= 400 &&
        fastifyError.statusCode < 500
      ) {
        return sendProblem(reply, "validation_failed", { status: fastifyError.statusCode });
      }
      request.log.error({ err: error }, "unhandled error");
      return sendProblem(reply, "internal_error");
    });

    app.setNotFoundHandler((_request, reply) => sendProblem(reply, "not_found"));
  },
  { name: "portcullis-error-handling" },
);
