/**
 * Secret rotation, the second half: after every instance runs with a new PORTCULLIS_SECRET and
 * the old one in PORTCULLIS_SECRET_PREVIOUS, `secrets reseal` seals every stored secret again with
 * the current secret's keys, so the old secret can be dropped.
 *
 * Safe while instances serve: each row is either still sealed under the old key or already under
 * the new one, and instances open both. Rows are read in pages and each page is written in one
 * transaction, each row only if it still holds what was read (a row an instance changed meanwhile
 * is left alone and counted). Resumable: a page, once committed, stays done, and a second run
 * looks only at rows not yet sealed with the current key. A final read-only pass counts what is
 * still sealed with a previous key, which is what says whether the previous secret may go.
 */
import type { TotpSecretBox } from "../mfa/totp-secret-box.js";
import { encryptSecretValue, openWithAnyKey } from "../tokens/key-encryption.js";
import type { WebhookSecretBox } from "../webhooks/webhook-secret.js";
import {
  type Resealing,
  SEALED_SECRET_KINDS,
  type SealedSecretKind,
  type SealedSecretStore,
  type SealedValue,
} from "./sealed-secret-store.js";

/** How one kind of value is opened and sealed again. */
export interface Resealer {
  /** Rows sealed with this key id need nothing and are not read; null: every row is read. */
  readonly currentKeyId: string | null;
  /** The value sealed with the current key, or `current` when it already is. Throws when no key opens it. */
  reseal(value: SealedValue): SealedValue | "current";
}

export interface ResealCounts {
  /** Sealed again with the current key. */
  resealed: number;
  /** Already sealed with the current key. */
  current: number;
  /** Changed by a serving instance between the read and the write: left alone. */
  changed: number;
  /** Opened by no key, current or previous: the secret that sealed it is not configured. */
  unreadable: number;
}

export interface ResealReport {
  counts: Record<SealedSecretKind, ResealCounts>;
  /** After the pass, values still sealed with a previous secret (the previous secret may go at 0). */
  pending: number;
  /** After the pass, values no configured secret opens. */
  unreadable: number;
}

export interface SecretResealerDeps {
  store: SealedSecretStore;
  resealers: Record<SealedSecretKind, Resealer>;
  /** Rows per page, each page one transaction. */
  batchSize: number;
  /** Told after each committed page, for progress. */
  onBatch?: (kind: SealedSecretKind, counts: Readonly<ResealCounts>) => void;
}

export interface SecretResealer {
  /** Seals every stored secret with the current keys, then counts what is left. */
  reseal(): Promise<ResealReport>;
}

/** Signing keys store no key id: the current key-encryption key is tried first. */
export function signingKeyResealer(keks: { current: Buffer; previous: readonly Buffer[] }): Resealer {
  return {
    currentKeyId: null,
    reseal(value) {
      const { plaintext, current } = openWithAnyKey(keks, value.sealed);
      try {
        return current ? "current" : { keyId: null, sealed: encryptSecretValue(keks.current, plaintext) };
      } finally {
        plaintext.fill(0);
      }
    },
  };
}

export function totpSecretResealer(box: TotpSecretBox): Resealer {
  return {
    currentKeyId: box.currentKeyId,
    reseal(value) {
      const sealed = { keyId: value.keyId ?? "", sealed: value.sealed };
      if (!box.needsResealing(sealed)) return "current";
      const secret = box.open(sealed);
      try {
        return box.seal(secret);
      } finally {
        secret.fill(0);
      }
    },
  };
}

export function webhookSecretResealer(box: WebhookSecretBox): Resealer {
  return {
    currentKeyId: box.currentKeyId,
    reseal(value) {
      const sealed = { keyId: value.keyId ?? "", sealed: value.sealed };
      return box.needsResealing(sealed) ? box.seal(box.open(sealed)) : "current";
    },
  };
}

const noCounts = (): ResealCounts => ({ resealed: 0, current: 0, changed: 0, unreadable: 0 });

/**
 * @example
 * const report = await createSecretResealer({ store, resealers, batchSize: 200 }).reseal();
 * if (report.pending === 0) console.log("PORTCULLIS_SECRET_PREVIOUS can go");
 */
export function createSecretResealer(deps: SecretResealerDeps): SecretResealer {
  const { store, resealers, batchSize } = deps;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error("createSecretResealer: batchSize must be a positive integer");

  /** Every row of `kind` not known to be current, page by page. */
  async function* pages(kind: SealedSecretKind) {
    let afterId: string | null = null;
    for (;;) {
      const rows = await store.listSealedSecrets(kind, {
        exceptKeyId: resealers[kind].currentKeyId,
        afterId,
        limit: batchSize,
      });
      if (rows.length === 0) return;
      yield rows;
      afterId = rows[rows.length - 1]?.id ?? null;
      if (rows.length < batchSize) return;
    }
  }

  async function resealKind(kind: SealedSecretKind): Promise<ResealCounts> {
    const counts = noCounts();
    for await (const rows of pages(kind)) {
      const batch: Resealing[] = [];
      for (const row of rows) {
        const from = { keyId: row.keyId, sealed: row.sealed };
        let to: SealedValue | "current";
        try {
          to = resealers[kind].reseal(from);
        } catch {
          counts.unreadable += 1;
          continue;
        }
        if (to === "current") counts.current += 1;
        else batch.push({ id: row.id, from, to });
      }
      const written = batch.length === 0 ? 0 : await store.replaceSealedSecrets(kind, batch);
      counts.resealed += written;
      counts.changed += batch.length - written;
      deps.onBatch?.(kind, counts);
    }
    return counts;
  }

  /** Read only: what is still sealed with a previous key, and what nothing opens. */
  async function remaining(): Promise<{ pending: number; unreadable: number }> {
    let pending = 0;
    let unreadable = 0;
    for (const kind of SEALED_SECRET_KINDS) {
      for await (const rows of pages(kind)) {
        for (const row of rows) {
          try {
            if (resealers[kind].reseal({ keyId: row.keyId, sealed: row.sealed }) !== "current") pending += 1;
          } catch {
            unreadable += 1;
          }
        }
      }
    }
    return { pending, unreadable };
  }

  return {
    async reseal() {
      // One kind after the other: a page is one transaction, never one across tables.
      const counts: Record<SealedSecretKind, ResealCounts> = {
        signing_key: await resealKind("signing_key"),
        totp_secret: await resealKind("totp_secret"),
        webhook_secret: await resealKind("webhook_secret"),
      };
      return { counts, ...(await remaining()) };
    },
  };
}
