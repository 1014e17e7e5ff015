/**
 * Where a webhook may point. An endpoint URL is chosen by an administrator but fetched by the
 * server, from inside the deployment's network: server-side request forgery (OWASP SSRF
 * Prevention Cheat Sheet) could reach a database, a cloud metadata service (169.254.169.254) or an
 * admin port on loopback. So in production a URL must be `https://` and may not name an address
 * that is not on the public internet — loopback, private (RFC 1918, RFC 6598), link-local,
 * unique-local (RFC 4193), unspecified, multicast or reserved (RFC 6890 registries) — nor
 * `localhost` (RFC 6761). A host name is checked again when a delivery connects, against every
 * address it resolves to (webhooks/webhook-sender.ts), so DNS cannot be rebound to one of them.
 * Outside production, any address and plain `http://` are accepted (a receiver on the developer's
 * machine).
 */
import { BlockList, isIP } from "node:net";

/** IPv4 ranges that are not the public internet: [network, prefix length, what it is]. */
const PRIVATE_IPV4: readonly [string, number][] = [
  ["0.0.0.0", 8], // "this network", the unspecified address
  ["10.0.0.0", 8], // private (RFC 1918)
  ["100.64.0.0", 10], // shared address space, carrier-grade NAT (RFC 6598)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata services
  ["172.16.0.0", 12], // private (RFC 1918)
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // private (RFC 1918)
  ["198.18.0.0", 15], // benchmarking (RFC 2544)
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];

const PRIVATE_IPV6: readonly [string, number][] = [
  ["::", 96], // unspecified, loopback, and the deprecated IPv4-compatible addresses
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215)
  ["100::", 64], // discard-only (RFC 6666)
  ["2001::", 32], // Teredo: an IPv4 address in disguise
  ["fc00::", 7], // unique local (RFC 4193)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed by some)
  ["ff00::", 8], // multicast
];

function ipv4Groups(address: string): [string, string] {
  const [a = 0, b = 0, c = 0, d = 0] = address.split(".").map(Number);
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
  return [hex(a, b), hex(c, d)];
}

const blocked = (() => {
  const list = new BlockList();
  for (const [network, prefix] of PRIVATE_IPV4) {
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched by BlockList itself; the translations that
    // carry an IPv4 address inside IPv6 are added here: NAT64 (RFC 6052) and 6to4 (RFC 3056).
    list.addSubnet(network, prefix, "ipv4");
    const [high, low] = ipv4Groups(network);
    list.addSubnet(`64:ff9b::${high}:${low}`, 96 + prefix, "ipv6");
    list.addSubnet(`2002:${high}:${low}::`, 16 + prefix, "ipv6");
  }
  for (const [network, prefix] of PRIVATE_IPV6) list.addSubnet(network, prefix, "ipv6");
  return list;
})();

/**
 * True for an IP address that is not on the public internet (see the ranges above).
 * @example isNonPublicAddress("10.1.2.3") // true
 * @example isNonPublicAddress("[::ffff:127.0.0.1]") // true
 */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 0) return false;
  return blocked.check(bare, family === 4 ? "ipv4" : "ipv6");
}

/** A host that is an IP address, without the brackets of an IPv6 literal; null for a name. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? null : bare;
}

const LOCALHOST = /(^|\.)localhost\.?$/i;

/** Why a URL is refused, for a reader's language (the console); `reason` says it in English. */
export type WebhookUrlRefusal =
  | "url_not_absolute"
  | "url_scheme"
  | "url_credentials"
  | "url_fragment"
  | "url_non_public";

export type WebhookUrlVerdict = { ok: true } | { ok: false; code: WebhookUrlRefusal; reason: string };

export interface WebhookUrlPolicy {
  /** In production: https only, and no loopback, private or otherwise non-public address. */
  production: boolean;
}

export const NON_PUBLIC_REFUSAL =
  "names a loopback, private, link-local or otherwise non-public address, which is refused in production";

/**
 * Whether `value` may be a webhook's endpoint; the reason is a sentence that may be shown.
 * @example checkWebhookUrl("https://hooks.example.com/portcullis", { production: true }) // { ok: true }
 * @example checkWebhookUrl("https://10.0.0.5/hook", { production: true }).ok // false
 */
export function checkWebhookUrl(value: string, policy: WebhookUrlPolicy): WebhookUrlVerdict {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      ok: false,
      code: "url_not_absolute",
      reason: "must be an absolute URL, e.g. https://hooks.example.com/portcullis",
    };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !policy.production)) {
    return {
      ok: false,
      code: "url_scheme",
      reason: policy.production ? "must be https://" : "must be https:// (or http:// outside production)",
    };
  }
  // Credentials in a URL end up in logs and proxies; a receiver authenticates us by the signature.
  if (url.username !== "" || url.password !== "")
    return { ok: false, code: "url_credentials", reason: "must not carry a user name or password" };
  if (url.hash !== "" || value.includes("#"))
    return { ok: false, code: "url_fragment", reason: "must not have a fragment" };
  if (policy.production) {
    const address = literalAddress(url.hostname);
    if ((address !== null && isNonPublicAddress(address)) || LOCALHOST.test(url.hostname)) {
      return { ok: false, code: "url_non_public", reason: NON_PUBLIC_REFUSAL };
    }
  }
  return { ok: true };
}
