/** Recognises constraint violations from either driver without importing them. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = (error as { code: unknown }).code;
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; pg: 23505 unique_violation.
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** Network-level codes Node and `pg` use for a database that cannot be reached. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);
/**
 * PostgreSQL SQLSTATEs of a server going away or refusing new work: admin shutdown, crash,
 * starting up, too many connections, and a full disk.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "53100"]);
/** What `pg` throws, without a code, when a connection dies or none can be had in time. */
const CONNECTION_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "connection error and is not queryable",
];

/**
 * True for errors that mean "the database is not there right now" rather than "this query is
 * wrong": answered 503 with Retry-After, and the request can be repeated once it is back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = "code" in error ? (error as { code: unknown }).code : undefined;
  if (typeof code === "string") {
    if (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08")) return true;
    // SQLite: another process holds the write lock past the busy timeout, or (its extended
    // codes) wrote past a transaction's snapshot or is recovering the log.
    if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_")) return true;
    // SQLite: the disk is full or failing; SQLite rolled the transaction back, and the same
    // request succeeds once there is room again.
    if (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR")) return true;
  }
  const message = error instanceof Error ? error.message : "";
  return CONNECTION_MESSAGES.some((fragment) => message.includes(fragment));
}
