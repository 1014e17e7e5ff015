/**
 * What the account page shows across one redirect (POST → 303 → GET) without putting it in a URL
 * or a cookie: a TOTP setup waiting for its first code, and secrets shown exactly once (new
 * backup codes, a new API key). Kept in the ephemeral store (memory, or Redis when instances
 * share it) under the session id, so only the browser of that session sees it; a reveal is taken
 * (read and deleted) by the GET that shows it, so a reload shows it no more.
 */
import type { EphemeralStore } from "../../domain/ephemeral/ephemeral-store.js";

/** Long enough to find the phone and scan; the pending secret in SQL stays until replaced anyway. */
const SETUP_TTL_MS = 15 * 60_000;
/** The redirect follows at once; this only bounds how long an unseen secret lingers. */
const REVEAL_TTL_MS = 2 * 60_000;

export interface TotpSetupView {
  /** Base32, as the person types it into an app. */
  secret: string;
  /** `data:image/png;base64,…` */
  qrCode: string;
}

export type Reveal =
  | { kind: "backup-codes"; codes: string[] }
  | { kind: "api-key"; key: string; name: string };

export interface ShownOnce {
  putSetup(sessionId: string, setup: TotpSetupView): Promise<void>;
  getSetup(sessionId: string): Promise<TotpSetupView | undefined>;
  dropSetup(sessionId: string): Promise<void>;
  putReveal(sessionId: string, reveal: Reveal): Promise<void>;
  /** The reveal, once: a second call finds nothing. */
  takeReveal(sessionId: string): Promise<Reveal | undefined>;
}

const setupKey = (sessionId: string) => `ui:account:totp-setup:${sessionId}`;
const revealKey = (sessionId: string) => `ui:account:reveal:${sessionId}`;

/**
 * @example
 * const shown = createShownOnce(deps.ephemeral);
 * await shown.putReveal(sessionId, { kind: "backup-codes", codes });
 * await shown.takeReveal(sessionId); // the codes; then undefined
 */
export function createShownOnce(ephemeral: EphemeralStore): ShownOnce {
  return {
    putSetup: (sessionId, setup) => ephemeral.put(setupKey(sessionId), JSON.stringify(setup), SETUP_TTL_MS),
    async getSetup(sessionId) {
      const value = parse(await ephemeral.get(setupKey(sessionId)));
      return isSetup(value) ? value : undefined;
    },
    dropSetup: (sessionId) => ephemeral.delete(setupKey(sessionId)),
    putReveal: (sessionId, reveal) =>
      ephemeral.put(revealKey(sessionId), JSON.stringify(reveal), REVEAL_TTL_MS),
    async takeReveal(sessionId) {
      const value = parse(await ephemeral.take(revealKey(sessionId)));
      return isReveal(value) ? value : undefined;
    },
  };
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

function isSetup(value: unknown): value is TotpSetupView {
  return isObject(value) && typeof value.secret === "string" && typeof value.qrCode === "string";
}

function isReveal(value: unknown): value is Reveal {
  if (!isObject(value)) return false;
  if (value.kind === "backup-codes") {
    return Array.isArray(value.codes) && value.codes.every((code) => typeof code === "string");
  }
  return value.kind === "api-key" && typeof value.key === "string" && typeof value.name === "string";
}
