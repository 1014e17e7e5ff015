/**
 * Optional binding of a session to the client that opened it (PORTCULLIS_SESSION_BINDING, off by
 * default): a stolen session cookie or refresh token is refused when replayed from a browser of
 * another family or from another network. The comparison is the new-device heuristic's (user
 * agent without version numbers; /24 or /64 address prefix), so browser updates and new leases
 * from the same provider pass. The trade-off: it also signs out legitimate users who switch
 * networks (Wi-Fi ↔ mobile, VPN) or browsers masquerading differently, and an attacker on the
 * victim's network copying its user agent passes anyway. It is defence in depth, not a defence.
 * Access tokens are verified without I/O and are not bound; their short lifetime bounds them,
 * and their refresh is checked.
 */
import { addressPrefix, type DeviceOrigin, userAgentFamily } from "../notifications/device-signature.js";

export interface ClientBinding {
  userAgent: boolean;
  address: boolean;
}

export const NO_CLIENT_BINDING: ClientBinding = Object.freeze({ userAgent: false, address: false });

/** Whether `client` may carry on a session opened from `origin`; unknown (null) parts are not compared. */
export function matchesBoundClient(
  binding: ClientBinding,
  origin: DeviceOrigin,
  client: DeviceOrigin,
): boolean {
  if (
    binding.userAgent &&
    origin.userAgent !== null &&
    userAgentFamily(origin.userAgent) !== userAgentFamily(client.userAgent)
  ) {
    return false;
  }
  if (binding.address && origin.ip !== null && addressPrefix(origin.ip) !== addressPrefix(client.ip)) {
    return false;
  }
  return true;
}
