/**
 * Checks a mixed storm's ledger (test/support/mixed-storm.ts) against the database, read
 * directly: what the service confirmed is in the audit log, no session was left half-rotated,
 * and the audit log's hash chain verifies.
 * The storm must be stopped first, or a refresh in flight would look like a broken rotation.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { type ChainVerdict, verifyAuditChain } from "../../src/domain/audit/audit-chain.js";
import type { AuditRecord } from "../../src/domain/audit/audit-record.js";
import SQLite from "../../src/store/sql/sqlite-driver.js";
import type { StormLedger } from "./mixed-storm.js";

/** Reads whole tables of one database; both dialects answer the same plain SELECTs. */
export interface TableReader {
  select<Row>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

export async function readPostgres(url: string): Promise<TableReader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    select: async <Row>(sql: string) => (await client.query(sql)).rows as Row[],
    close: () => client.end(),
  };
}

export function readSqlite(path: string): TableReader {
  const database = new SQLite(path, { readonly: true, fileMustExist: true });
  return {
    select: async <Row>(sql: string) => database.prepare(sql).all() as Row[],
    close: async () => {
      database.close();
    },
  };
}

export interface LedgerFindings {
  /** Refresh tokens the service replaced (answered 200 for) that are missing or not marked rotated. */
  rotatedStillValid: number;
  /** Newest refresh tokens of open sessions that no longer work (rotated, missing, session revoked). */
  currentNotValid: number;
  /** Token sessions without any refresh token: a sign-in that committed half. */
  sessionsWithoutToken: number;
  /** Live token sessions with no unrotated refresh token, or more than one: a rotation that committed half. */
  liveSessionsWithoutOneToken: number;
  /** Acts that answered 2xx without their audit event. */
  missingRegistrations: number;
  missingLogins: number;
  missingLogouts: number;
  /** What was checked, for the test's log. */
  checked: { registrations: number; logins: number; logouts: number; rotated: number; current: number };
}

interface TokenRow {
  session_id: string;
  token_hash: string;
  rotated_at: number | string | null;
}
interface SessionRow {
  id: string;
  transport: string;
  revoked_at: number | string | null;
  expires_at: number | string;
}
interface AuditRow {
  type: string;
  user_id: string | null;
  details: string;
}

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * Compares the ledger with the database; every count in the answer should be 0.
 * @example expect(await checkLedger(reader, storm.ledger)).toMatchObject(NOTHING_LOST);
 */
export async function checkLedger(reader: TableReader, ledger: StormLedger): Promise<LedgerFindings> {
  const tokens = await reader.select<TokenRow>(
    "select session_id, token_hash, rotated_at from refresh_tokens",
  );
  const sessions = await reader.select<SessionRow>(
    "select id, transport, revoked_at, expires_at from sessions",
  );
  const audit = await reader.select<AuditRow>(
    "select type, user_id, details from audit_events where type in ('user.registered', 'login.succeeded', 'session.revoked')",
  );
  const now = Date.now();
  const tokenByHash = new Map(tokens.map((token) => [token.token_hash, token]));
  const sessionById = new Map(sessions.map((session) => [session.id, session]));

  const rotatedStillValid = ledger.rotated.filter(
    (token) => (tokenByHash.get(sha256(token))?.rotated_at ?? null) === null,
  ).length;
  const currentNotValid = [...ledger.current].filter(([sessionId, token]) => {
    const row = tokenByHash.get(sha256(token));
    return row === undefined || row.rotated_at !== null || sessionById.get(sessionId)?.revoked_at !== null;
  }).length;

  const tokensOfSession = new Map<string, TokenRow[]>();
  for (const token of tokens)
    tokensOfSession.set(token.session_id, [...(tokensOfSession.get(token.session_id) ?? []), token]);
  let sessionsWithoutToken = 0;
  let liveSessionsWithoutOneToken = 0;
  for (const session of sessions) {
    if (session.transport !== "token") continue;
    const own = tokensOfSession.get(session.id) ?? [];
    if (own.length === 0) sessionsWithoutToken += 1;
    const live = session.revoked_at === null && Number(session.expires_at) > now;
    if (live && own.filter((token) => token.rotated_at === null).length !== 1)
      liveSessionsWithoutOneToken += 1;
  }

  const registeredUsers = new Set<string>();
  const loginSessions = new Set<string>();
  const logoutSessions = new Set<string>();
  for (const event of audit) {
    const details = JSON.parse(event.details) as { sessionId?: unknown; reason?: unknown };
    if (event.type === "user.registered" && event.user_id !== null) registeredUsers.add(event.user_id);
    if (event.type === "login.succeeded" && typeof details.sessionId === "string")
      loginSessions.add(details.sessionId);
    if (
      event.type === "session.revoked" &&
      details.reason === "logout" &&
      typeof details.sessionId === "string"
    )
      logoutSessions.add(details.sessionId);
  }
  return {
    rotatedStillValid,
    currentNotValid,
    sessionsWithoutToken,
    liveSessionsWithoutOneToken,
    missingRegistrations: [...ledger.registered.keys()].filter((id) => !registeredUsers.has(id)).length,
    missingLogins: ledger.opened.filter((session) => !loginSessions.has(session.sessionId)).length,
    missingLogouts: [...ledger.closed].filter((id) => !logoutSessions.has(id)).length,
    checked: {
      registrations: ledger.registered.size,
      logins: ledger.opened.length,
      logouts: ledger.closed.size,
      rotated: ledger.rotated.length,
      current: ledger.current.size,
    },
  };
}

/** The findings of a storm after which nothing was lost and nothing half-done. */
export const NOTHING_LOST = {
  rotatedStillValid: 0,
  currentNotValid: 0,
  sessionsWithoutToken: 0,
  liveSessionsWithoutOneToken: 0,
  missingRegistrations: 0,
  missingLogins: 0,
  missingLogouts: 0,
} as const;

interface AuditChainRow {
  seq: number | string;
  id: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  at: number | string;
  prev_hash: string;
  hash: string;
}

/**
 * Walks the audit log's hash chain as `portcullis audit verify` does (the same verifier), read
 * straight from the database: quicker than starting the command line after every fault.
 */
export async function verifyChain(reader: TableReader): Promise<ChainVerdict> {
  const rows = await reader.select<AuditChainRow>("select * from audit_events order by seq");
  const records: AuditRecord[] = rows.map((row) => ({
    position: Number(row.seq),
    id: row.id,
    type: row.type,
    userId: row.user_id,
    actorId: row.actor_id,
    ip: row.ip,
    userAgent: row.user_agent,
    details: row.details,
    at: Number(row.at),
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
  return verifyAuditChain({
    async *pages() {
      yield records;
    },
    latestPruning: async () => records.filter((record) => record.type === "audit.pruned").at(-1),
  });
}
