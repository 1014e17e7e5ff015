/**
 * `portcullis secrets reseal`: the second step of a secret rotation. The first is to start every
 * instance with the new PORTCULLIS_SECRET and the old one in PORTCULLIS_SECRET_PREVIOUS; this then
 * seals every stored secret (signing keys, TOTP secrets, webhook secrets) with the new one, page
 * by page, each page committed. It may run while instances serve, be stopped and run again (it
 * picks up what is left). It prints `{counts, pending, unreadable}` as JSON on stdout, progress and
 * a verdict on stderr, and exits 0 when nothing is left sealed with a previous secret — the moment
 * PORTCULLIS_SECRET_PREVIOUS may be removed — or 2 when something is (run it again) or when a
 * value no configured secret opens was found.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { ResolvedConfig } from "../app.js";
import { createTotpSecretBox } from "../domain/mfa/totp-secret-box.js";
import type { SealedSecretKind, SealedSecretStore } from "../domain/secrets/sealed-secret-store.js";
import {
  createSecretResealer,
  type ResealReport,
  signingKeyResealer,
  totpSecretResealer,
  webhookSecretResealer,
} from "../domain/secrets/secret-reseal.js";
import { deriveKeyEncryptionKey } from "../domain/tokens/key-encryption.js";
import { createWebhookSecretBox } from "../domain/webhooks/webhook-secret.js";
import type { SqlDatabase } from "../store/sql/database.js";
import { createSealedSecretRepository } from "../store/sql/sealed-secret-repository.js";
import type { WithServicesAndContext } from "./users-import-command.js";

const DEFAULT_BATCH_SIZE = 200;

const KIND_NAMES: Record<SealedSecretKind, string> = {
  signing_key: "signing keys",
  totp_secret: "TOTP secrets",
  webhook_secret: "webhook secrets",
};

function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value)) throw new InvalidArgumentError("a whole number from 1 to 999999");
  return Number(value);
}

/**
 * Runs one pass over the configured database; exported for the tests, which may wrap the store
 * (to stop a run half-way, or change a row under it).
 */
export async function resealSecrets(
  config: ResolvedConfig,
  database: SqlDatabase,
  options: {
    batchSize: number;
    progress?: (line: string) => void;
    wrapStore?: (store: SealedSecretStore) => SealedSecretStore;
  },
): Promise<ResealReport> {
  const previous = config.previousSecrets;
  const store = createSealedSecretRepository(database.db);
  const resealer = createSecretResealer({
    store: options.wrapStore?.(store) ?? store,
    resealers: {
      signing_key: signingKeyResealer({
        current: deriveKeyEncryptionKey(config.secret),
        previous: previous.map(deriveKeyEncryptionKey),
      }),
      totp_secret: totpSecretResealer(
        createTotpSecretBox({ secret: config.secret, previousSecrets: previous }),
      ),
      webhook_secret: webhookSecretResealer(
        createWebhookSecretBox({ secret: config.secret, previousSecrets: previous }),
      ),
    },
    batchSize: options.batchSize,
    onBatch: (kind, counts) =>
      options.progress?.(
        `${KIND_NAMES[kind]}: ${counts.resealed} sealed again, ${counts.changed} changed meanwhile`,
      ),
  });
  return resealer.reseal();
}

/** What the operator should do next, in words. */
export function describeReport(report: ResealReport, config: ResolvedConfig): string[] {
  const lines = (Object.keys(report.counts) as SealedSecretKind[]).map((kind) => {
    const { resealed, current, changed, unreadable } = report.counts[kind];
    return `${KIND_NAMES[kind]}: ${resealed} sealed again, ${current} already current, ${changed} changed meanwhile, ${unreadable} unreadable.`;
  });
  if (report.pending > 0)
    lines.push(
      `${report.pending} value(s) are still sealed with a previous secret (changed while this ran, or written by an instance still on the old PORTCULLIS_SECRET). Make sure every instance runs with the new secret, then run \`secrets reseal\` again; keep PORTCULLIS_SECRET_PREVIOUS until it says so.`,
    );
  if (report.unreadable > 0)
    lines.push(
      `${report.unreadable} stored value(s) open with no configured secret: the secret that sealed them is missing from PORTCULLIS_SECRET and PORTCULLIS_SECRET_PREVIOUS, and they stay unusable until it is added back. Add it, run \`secrets reseal\` again, and remove nothing until it says so.`,
    );
  if (report.pending === 0 && report.unreadable === 0) {
    const days = Math.ceil(config.refreshTokenTtlSeconds / 86_400);
    lines.push(
      `Every stored secret is sealed with the current PORTCULLIS_SECRET: PORTCULLIS_SECRET_PREVIOUS can be removed from every instance. What the old secret signed rather than sealed then stops verifying: CSRF tokens of open pages (a reload fetches new ones) and the OpenID provider's sign-in cookies (their holders sign in again). To spare them, keep it for PORTCULLIS_REFRESH_TOKEN_TTL (${days} day(s) here) after the last instance switched.`,
    );
  }
  return lines;
}

export function registerSecretsCommand(program: Command, withServices: WithServicesAndContext): void {
  const secrets = program.command("secrets").description("secret rotation (PORTCULLIS_SECRET_PREVIOUS)");
  secrets
    .command("reseal")
    .description(
      "seal every stored secret again with the current PORTCULLIS_SECRET; resumable, safe while instances serve; says when PORTCULLIS_SECRET_PREVIOUS can be removed",
    )
    .option("--batch-size <n>", "rows per transaction", positiveInteger, DEFAULT_BATCH_SIZE)
    .action(async (options: { batchSize: number }) => {
      await withServices(async (_services, { config, database }) => {
        if (config.previousSecrets.length === 0)
          process.stderr.write(
            "PORTCULLIS_SECRET_PREVIOUS is not set: only values the current secret opens can be checked.\n",
          );
        const report = await resealSecrets(config, database, {
          batchSize: options.batchSize,
          progress: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${JSON.stringify(report)}\n`);
        process.stderr.write(`${describeReport(report, config).join("\n")}\n`);
        // Not process.exit: the database is closed on the way out.
        if (report.pending > 0 || report.unreadable > 0) process.exitCode = 2;
      });
    });
}
