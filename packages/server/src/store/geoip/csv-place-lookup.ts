/**
 * A GeoIP database in the CSV form of the free ip-location-db and DB-IP "lite" downloads, one
 * range a line: `ip_range_start,ip_range_end,country_code[,state1,state2,city,…]` (IPv4 and IPv6
 * ranges, inclusive; the city files also carry postcode, coordinates and time zone, which are
 * ignored). Loaded once at start into sorted arrays; a lookup is a binary search, no I/O. A
 * country file (~500,000 ranges) takes ~50 MB of memory; a city file several times that.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Place, PlaceLookup } from "../../domain/places/place-lookup.js";

interface RangeTable {
  starts: bigint[];
  ends: bigint[];
  places: Place[];
}

/** An IPv4 or IPv6 address as a number (IPv4-mapped IPv6 counts as IPv4); null if not an address. */
export function addressNumber(ip: string): { family: 4 | 6; value: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  const family = isIP(address);
  if (family === 4) {
    const value = address.split(".").reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n);
    return { family: 4, value };
  }
  if (family !== 6) return null;
  const [head = "", tail] = address.toLowerCase().split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  // An embedded IPv4 tail (`::1.2.3.4`) is two groups.
  const expand = (groups: string[]) =>
    groups.flatMap((group) => {
      if (!group.includes(".")) return [group];
      const v4 = group.split(".").map(Number);
      return [
        ((v4[0] ?? 0) * 256 + (v4[1] ?? 0)).toString(16),
        ((v4[2] ?? 0) * 256 + (v4[3] ?? 0)).toString(16),
      ];
    });
  const first = expand(headGroups);
  const last = expand(tailGroups);
  const groups = [...first, ...Array<string>(8 - first.length - last.length).fill("0"), ...last];
  return { family: 6, value: groups.reduce((sum, group) => (sum << 16n) + BigInt(`0x${group}`), 0n) };
}

function search(table: RangeTable, value: bigint): Place | null {
  let low = 0;
  let high = table.starts.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((table.starts[middle] ?? 0n) > value) high = middle - 1;
    else if ((table.ends[middle] ?? 0n) < value) low = middle + 1;
    else return table.places[middle] ?? null;
  }
  return null;
}

/**
 * Parses `text` (the CSV); throws naming the first bad line.
 * @example parseCsvPlaces("1.0.0.0,1.0.0.255,AU,Queensland,,Brisbane\n").find("1.0.0.7") // { countryCode: "AU", region: "Queensland", city: "Brisbane" }
 */
export function parseCsvPlaces(text: string, source = "GeoIP CSV"): PlaceLookup {
  const rows: { family: 4 | 6; start: bigint; end: bigint; place: Place }[] = [];
  let lineNumber = 0;
  for (const line of text.split("\n")) {
    lineNumber++;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [start = "", end = "", country = "", region = "", , city = ""] = trimmed
      .split(",")
      .map((field) => field.trim().replace(/^"|"$/g, ""));
    const from = addressNumber(start);
    const to = addressNumber(end);
    if (lineNumber === 1 && from === null) continue; // a header line
    if (
      from === null ||
      to === null ||
      from.family !== to.family ||
      from.value > to.value ||
      !/^[A-Za-z]{2}$/.test(country)
    ) {
      throw new Error(`${source}: line ${lineNumber} is not "start,end,country[,region,,city]"`);
    }
    rows.push({
      family: from.family,
      start: from.value,
      end: to.value,
      place: { countryCode: country.toUpperCase(), region: region || null, city: city || null },
    });
  }
  const tables = {
    4: { starts: [], ends: [], places: [] },
    6: { starts: [], ends: [], places: [] },
  } as Record<4 | 6, RangeTable>;
  rows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const row of rows) {
    const table = tables[row.family];
    table.starts.push(row.start);
    table.ends.push(row.end);
    table.places.push(row.place);
  }
  return {
    find(ip) {
      if (ip === null) return null;
      const address = addressNumber(ip);
      return address === null ? null : search(tables[address.family], address.value);
    },
  };
}

/** Loads `path` (PORTCULLIS_GEOIP_CSV) at start. */
export function loadCsvPlaceLookup(path: string): PlaceLookup {
  return parseCsvPlaces(readFileSync(path, "utf8"), path);
}
