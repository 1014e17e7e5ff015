/**
 * The WebAuthn relying party, from the configuration: the RP ID is the public URL's hostname and
 * the accepted origins are the public URL's origin plus PORTCULLIS_WEBAUTHN_ORIGINS. An extra
 * origin must be on the RP ID's host or one of its subdomains (WebAuthn §5.1.3 step 8: the RP ID
 * must be a registrable suffix of the origin's effective domain), else a browser there could
 * never use the passkeys and the setting is a mistake.
 */
import type { RawConfig } from "./config-schema.js";

export interface WebAuthnSettings {
  readonly rpId: string;
  readonly rpName: string;
  /** The public URL's origin first. */
  readonly origins: readonly string[];
}

const RP_NAME = "Portcullis";

function publicUrlOf(raw: RawConfig): string {
  return (raw.PORTCULLIS_PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, "");
}

function extraOrigins(raw: RawConfig): string[] {
  return (raw.PORTCULLIS_WEBAUTHN_ORIGINS ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** What is wrong with PORTCULLIS_WEBAUTHN_ORIGINS, one line per entry. */
export function webauthnOriginProblems(raw: RawConfig): string[] {
  let rpId: string;
  try {
    rpId = new URL(publicUrlOf(raw)).hostname;
  } catch {
    return []; // PORTCULLIS_PUBLIC_URL's own problem is reported under its name.
  }
  const problems: string[] = [];
  for (const entry of extraOrigins(raw)) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== entry) {
      problems.push(
        `PORTCULLIS_WEBAUTHN_ORIGINS: "${entry}" is not an origin (scheme://host[:port], no path)`,
      );
    } else if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      problems.push(
        `PORTCULLIS_WEBAUTHN_ORIGINS: "${entry}" is not on ${rpId} or a subdomain of it, the WebAuthn RP ID`,
      );
    }
  }
  return problems;
}

export function resolveWebAuthnSettings(raw: RawConfig): WebAuthnSettings {
  const url = new URL(publicUrlOf(raw));
  return Object.freeze({
    rpId: url.hostname,
    rpName: RP_NAME,
    origins: Object.freeze([...new Set([url.origin, ...extraOrigins(raw)])]),
  });
}
