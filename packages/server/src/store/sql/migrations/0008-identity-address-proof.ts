/**
 * Pre-account-takeover through social login: whoever controls a provider account that gives the
 * victim's address, unverified, can create the account first (or an identity can be linked while
 * the account's address is unverified). `identities.linked_while_unverified` records, per
 * identity, that the account's address was not verified when it was linked, so that when the
 * owner proves the address (a password reset, an email verification) those identities are
 * unlinked (domain/oauth/unproven-identities.ts).
 *
 * Existing rows. The column is added as 1 — "not known to have been linked to a verified
 * address" — and then cleared only where the data shows the address was verified at link time:
 * the account's address is verified now AND the audit log has no `email.verified` for the account
 * at or after the link. So:
 * - every identity of an account whose address is still unverified keeps 1: exactly the accounts
 *   where the attack is still pending, the owner's proof yet to come;
 * - an identity linked before its account's address was verified (the gap this closes; the
 *   takeover may already have happened) keeps 1, and the owner's next reset removes it;
 * - the rest (automatic links, which needed a verified address, links made after verification,
 *   accounts made verified by a provider or the CLI) become 0 and are left alone.
 * An identity whose proof event has been pruned from the audit log counts as linked while verified:
 * for it the proof happened before this version, so no default could act before the next reset.
 * The column default stays 1, so a row written without it (an instance of the previous version
 * still running during an upgrade) counts as unverified too: unknown is treated as unproven.
 */
import { type Kysely, sql } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("identities")
    .addColumn("linked_while_unverified", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`
    update identities set linked_while_unverified = 0
    where exists (
      select 1 from users where users.id = identities.user_id and users.email_verified = 1
    )
    and not exists (
      select 1 from audit_events
      where audit_events.user_id = identities.user_id
        and audit_events.type = 'email.verified'
        and audit_events.at >= identities.created_at
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("identities").dropColumn("linked_while_unverified").execute();
}
