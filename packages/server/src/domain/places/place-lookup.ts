/**
 * Where a client address is, for people reading their device list and security events ("Berlin,
 * Germany"). A courtesy, never an access decision: addresses move, proxies hide them, and the
 * operator's GeoIP data may be old.
 */

export interface Place {
  /** ISO 3166-1 alpha-2, upper case (`DE`). */
  countryCode: string;
  /** The region or state, as the data names it; null when unknown. */
  region: string | null;
  city: string | null;
}

export interface PlaceLookup {
  /** The place of `ip`, or null when the address is unknown to the data (or no data is configured). */
  find(ip: string | null): Place | null;
}

/** No GeoIP data configured: every address is unknown. */
export const NO_PLACES: PlaceLookup = { find: () => null };
