/**
 * The Fastify instance every route is registered on: its logger (one buffered line per request,
 * secrets redacted), request ids, the proxies it trusts, the body limit, and the TypeBox
 * validator. Nothing here knows a route; `buildApp` (app.ts) adds them.
 */

import { randomUUID } from "node:crypto";
import { TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { Config, TrustProxySetting } from "../config/config.js";
import { lazyChildLoggerFactory } from "./lazy-request-logger.js";
import { chooseLogFormat, createLogDestination, type LogDestination } from "./log-destination.js";
import { LOG_SERIALIZERS } from "./log-serializers.js";
import { AccessLogController } from "./plugins/access-log.js";
import { answerFrameworkError } from "./plugins/error-handling.js";
import { BODY_LIMIT_BYTES } from "./plugins/json-body.js";

export interface LoggingOptions {
  logger?: FastifyServerOptions["logger"];
  /** Where the default logger writes, line by line (stdout when absent); tests capture log lines with it. */
  logStream?: { write(line: string): void };
  /** A file the default logger appends to instead of stdout, through the same buffered destination. */
  logFile?: string;
}

export interface ServerInstance {
  app: FastifyInstance;
  /** Where log lines go, when the default logger writes them; the access log writes there too. */
  logStream: { write(line: string): void } | undefined;
  /** Writes out buffered log lines synchronously (exit paths, where no callback runs any more). */
  flushLogs(): void;
}

export const LOG_REDACTIONS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.refreshToken",
  "*.accessToken",
  'req.headers["x-csrf-token"]',
  "*.key",
  "*.apiKey",
  "*.token",
  "*.secret",
  // An OAuth client's secret, shown once (API.md "Client administration").
  "*.clientSecret",
  "*.mfaToken",
  "*.backupCode",
  // MFA: codes shown once, the TOTP secret's URL and picture, a passkey's signed answer.
  "*.backupCodes",
  "*.otpauthUrl",
  "*.qrCode",
  "*.webauthn",
  // The one-time code of POST /v1/auth/exchange, and a TOTP or backup code (MFA, step-up). Not
  // `*.code`: that would censor every error's `code`.
  "body.code",
  "req.body.code",
];

/** A hop count becomes "trust the first N proxies", as proxy-addr counts them. */
function fastifyTrustProxy(
  setting: TrustProxySetting,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === "number" ? (_address, hop) => hop < setting : setting;
}

export async function createServerInstance(config: Config, options: LoggingOptions): Promise<ServerInstance> {
  // Tests pass their own logger, or a stream that captures lines; everyone else gets the buffered one.
  const logDestination: LogDestination | undefined =
    options.logger !== undefined || options.logStream !== undefined
      ? undefined
      : await createLogDestination(
          options.logFile === undefined
            ? { target: 1, format: chooseLogFormat(config.env, process.stdout.isTTY === true) }
            : { target: options.logFile, format: "json" },
        );
  const logStream = options.logStream ?? logDestination?.stream;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: LOG_REDACTIONS, censor: "[redacted]" },
      serializers: LOG_SERIALIZERS,
      ...(logStream === undefined ? {} : { stream: logStream }),
    },
    // Fastify's two lines per request cost a third of the throughput; the access-log plugin writes one.
    logController: new AccessLogController(),
    // The router's own refusals (bad percent-encoding, an over-long parameter) as problems too.
    frameworkErrors: answerFrameworkError,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Request ids are not secrets, but they must not be chosen by the caller either.
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyChildLoggerFactory,
  }).setValidatorCompiler(TypeBoxValidatorCompiler);
  // Added first, so it runs last: onClose hooks run last-added first, and every other one may log.
  if (logDestination !== undefined) app.addHook("onClose", () => logDestination.close());
  return { app, logStream, flushLogs: () => logDestination?.flushSync() };
}
