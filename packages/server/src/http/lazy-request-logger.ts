/**
 * `request.log`, made on first use. Fastify gives every request a child of the app's logger
 * bound to its id, but most requests never log (the access-log line is written by hand, see
 * plugins/access-log.ts), and pino's `child()` is not free: its bindings pass through the
 * redaction paths' stringifier, about 3% of the CPU of a `GET /v1/me` whose token is not cached.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from "fastify";
import type { Bindings, ChildLoggerOptions, LogFn } from "pino";

const LOG_METHODS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A request's logger that becomes the real child of `parent` the first time it is used. */
class LazyChildLogger {
  declare readonly fatal: LogFn;
  declare readonly error: LogFn;
  declare readonly warn: LogFn;
  declare readonly info: LogFn;
  declare readonly debug: LogFn;
  declare readonly trace: LogFn;
  declare readonly silent: LogFn;
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The real child logger, made now if this is the first use. */
  get logger(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.logger.level;
  }

  set level(value: string) {
    this.logger.level = value;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

// On the prototype, so that a request's logger allocates no closures of its own.
for (const method of LOG_METHODS) {
  Object.defineProperty(LazyChildLogger.prototype, method, {
    value: function forward(this: LazyChildLogger, ...args: unknown[]): void {
      const logger = this.logger;
      (logger[method] as (...forwarded: unknown[]) => void).apply(logger, args);
    },
  });
}

/**
 * Fastify's `childLoggerFactory`: the request's logger is made when something first logs.
 * @example Fastify({ logger, childLoggerFactory: lazyChildLoggerFactory })
 */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (
  logger,
  bindings,
  options,
) => new LazyChildLogger(logger, bindings, options) satisfies FastifyBaseLogger;
