/**
 * Errors the domain throws for conditions that are not an answer to the caller's input
 * (overload, a dependency that is down). Expected outcomes, such as a wrong password, are
 * returned as values instead; see each service.
 */

/** The server is saturated (e.g. too many password hashes queued). HTTP maps it to 503 + Retry-After. */
export class ServiceBusyError extends Error {
  override readonly name = "ServiceBusyError";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A dependency the request needs (the database) does not answer. HTTP maps it to 503. */
export class DependencyUnavailableError extends Error {
  override readonly name = "DependencyUnavailableError";
}
