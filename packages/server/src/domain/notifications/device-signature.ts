/**
 * What counts as "the same device" for the new-sign-in notice (ASVS 6.3.5, 6.3.7): the user
 * agent without its version numbers (a browser update is not a new device) and the network
 * prefix of the address (/24 for IPv4, /64 for IPv6; a new lease from the same provider is not
 * a new device either). It is a heuristic for a courtesy mail, never an access decision.
 */
import { isIP } from "node:net";

export interface DeviceOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** `203.0.113.7` → `203.0.113`; `2001:db8:1:2:3::7` → `2001:db8:1:2`; an IPv4-mapped address counts as IPv4. */
export function addressPrefix(ip: string | null): string | null {
  if (ip === null) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  const family = isIP(address);
  if (family === 4) return address.split(".").slice(0, 3).join(".");
  if (family !== 6) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":");
}

/** `Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0` without its numbers. */
export function userAgentFamily(userAgent: string | null): string | null {
  if (userAgent === null) return null;
  return userAgent
    .replace(/\d+([._]\d+)*/g, "#")
    .replace(/\s+/g, " ")
    .trim();
}

export function isSameDevice(a: DeviceOrigin, b: DeviceOrigin): boolean {
  return (
    userAgentFamily(a.userAgent) === userAgentFamily(b.userAgent) &&
    addressPrefix(a.ip) === addressPrefix(b.ip)
  );
}
