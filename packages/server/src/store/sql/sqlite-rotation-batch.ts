/**
 * SQLite: refresh rotations in group commits. The rotations asked for in one turn of the event
 * loop run in one transaction, each in a savepoint of its own, so a busy server writes and syncs
 * the log once for many of them: the commit was the largest part of a rotation's cost, and the
 * statements ran through Kysely's query builder each time. Each rotation is still the
 * compare-and-swap of the statement-per-statement version (session-repository.ts): of concurrent
 * rotations with one token, the first claims it and the others find it rotated, in the batch or
 * after it. One that fails rolls back its own savepoint and fails alone; a commit that fails
 * fails the whole batch, and nothing of it was answered yet.
 *
 * Runs on better-sqlite3 directly and synchronously, holding Kysely's connection meanwhile, so
 * no Kysely transaction is open around it. Inside a Kysely transaction (which holds that
 * connection already) the same statements run at once and join it: `withinTransaction`.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely, Selectable } from "kysely";
import type { SuccessorRefreshToken } from "../../domain/persistence.js";
import type { Database, SessionsTable, UsersTable } from "./schema.js";

export interface RotatedRows {
  session: Selectable<SessionsTable>;
  user: Selectable<UsersTable>;
}

export type RotateRefreshToken = (
  presentedHash: string,
  successor: SuccessorRefreshToken,
  at: number,
) => Promise<RotatedRows | undefined>;

export interface SqliteRotations {
  /** Outside a transaction: joins this turn's group commit. */
  inBatch: RotateRefreshToken;
  /** Inside a Kysely transaction on this connection: runs now, as part of it. */
  withinTransaction: RotateRefreshToken;
}

interface RotationInput {
  presentedHash: string;
  successor: SuccessorRefreshToken;
  at: number;
}

interface Rotation extends RotationInput {
  resolve(rows: RotatedRows | undefined): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; rows: RotatedRows | undefined } | { ok: false; error: unknown };

const CLAIM = `update refresh_tokens set rotated_at = ?
  where token_hash = ? and rotated_at is null and expires_at > ?
    and exists (
      select 1 from sessions inner join users on users.id = sessions.user_id
      where sessions.id = refresh_tokens.session_id and sessions.revoked_at is null
        and sessions.expires_at > ? and users.disabled_at is null)
  returning session_id, expires_at`;
const INSERT_SUCCESSOR = `insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at, rotated_at)
  values (?, ?, ?, ?, ?, null)`;
const TOUCH_SESSION = "update sessions set last_seen_at = ? where id = ? returning *";
const FIND_USER = "select * from users where id = ?";

/**
 * @example
 * const rotations = createSqliteRotations(db, sqlite);
 * const rows = await rotations.inBatch(hashOf(presented), { id, tokenHash: hashOf(successor) }, Date.now());
 */
export function createSqliteRotations(db: Kysely<Database>, sqlite: BetterSqlite3.Database): SqliteRotations {
  let waiting: Rotation[] = [];
  let prepared:
    | { rotateOne(rotation: RotationInput): RotatedRows | undefined; runBatch(batch: Rotation[]): Outcome[] }
    | undefined;

  // Prepared on first use: the tables exist once migrations have run.
  function prepare() {
    const claim = sqlite.prepare<
      [number, string, number, number],
      { session_id: string; expires_at: number }
    >(CLAIM);
    const insertSuccessor = sqlite.prepare<[string, string, string, number, number]>(INSERT_SUCCESSOR);
    const touchSession = sqlite.prepare<[number, string], Selectable<SessionsTable>>(TOUCH_SESSION);
    const findUser = sqlite.prepare<[string], Selectable<UsersTable>>(FIND_USER);
    // Inside an open transaction (the batch's, or a Kysely one), a better-sqlite3 transaction is a savepoint.
    const rotateOne = sqlite.transaction((rotation: RotationInput): RotatedRows | undefined => {
      const { presentedHash, successor, at } = rotation;
      const claimed = claim.get(at, presentedHash, at, at);
      if (claimed === undefined) return undefined;
      insertSuccessor.run(successor.id, claimed.session_id, successor.tokenHash, at, claimed.expires_at);
      const session = touchSession.get(at, claimed.session_id);
      const user = session === undefined ? undefined : findUser.get(session.user_id);
      if (session === undefined || user === undefined)
        throw new Error("a claimed token's session has no user");
      return { session, user };
    });
    const runBatch = sqlite.transaction((batch: Rotation[]) =>
      batch.map((rotation): Outcome => {
        try {
          return { ok: true, rows: rotateOne(rotation) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    return { rotateOne, runBatch };
  }

  async function flush(): Promise<void> {
    const batch = waiting;
    waiting = [];
    try {
      const outcomes = await db.connection().execute(async () => {
        prepared ??= prepare();
        return prepared.runBatch(batch);
      });
      batch.forEach((rotation, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) rotation.resolve(outcome.rows);
        else rotation.reject(outcome?.error ?? new Error("a rotation of the batch has no outcome"));
      });
    } catch (error) {
      for (const rotation of batch) rotation.reject(error);
    }
  }

  return {
    inBatch: (presentedHash, successor, at) =>
      new Promise((resolve, reject) => {
        // setImmediate: after this turn's I/O, so every request read meanwhile joins the batch.
        if (waiting.length === 0) setImmediate(() => void flush());
        waiting.push({ presentedHash, successor, at, resolve, reject });
      }),
    withinTransaction: async (presentedHash, successor, at) => {
      prepared ??= prepare();
      return prepared.rotateOne({ presentedHash, successor, at });
    },
  };
}
