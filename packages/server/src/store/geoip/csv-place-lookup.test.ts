import { describe, expect, it } from "vitest";
import { addressNumber, parseCsvPlaces } from "./csv-place-lookup.js";

const CSV = `ip_range_start,ip_range_end,country_code,state1,state2,city,postcode,latitude,longitude,timezone
1.0.0.0,1.0.0.255,AU,Queensland,,Brisbane,4000,-27.4,153.0,Australia/Brisbane
81.0.0.0,81.0.255.255,de,Berlin,,Berlin,,,,
2001:db8::,2001:db8::ffff,NL,,,Amsterdam,,,,
2a00::,2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff,GB,,,,,,,
`;

describe("CSV GeoIP lookup", () => {
  const places = parseCsvPlaces(CSV);

  it("finds IPv4 addresses at the edges and inside their ranges", () => {
    expect(places.find("1.0.0.0")).toEqual({ countryCode: "AU", region: "Queensland", city: "Brisbane" });
    expect(places.find("1.0.0.255")?.city).toBe("Brisbane");
    expect(places.find("81.0.12.34")).toEqual({ countryCode: "DE", region: "Berlin", city: "Berlin" });
    expect(places.find("1.0.1.0")).toBeNull();
  });

  it("finds IPv6 and IPv4-mapped addresses, and knows nothing of others", () => {
    expect(places.find("2001:db8::1")?.city).toBe("Amsterdam");
    expect(places.find("2a00:1450::200e")).toEqual({ countryCode: "GB", region: null, city: null });
    expect(places.find("::ffff:81.0.0.1")?.countryCode).toBe("DE");
    expect(places.find("2001:db9::1")).toBeNull();
    expect(places.find("not an address")).toBeNull();
    expect(places.find(null)).toBeNull();
  });

  it("reads addresses as numbers, embedded IPv4 tails included", () => {
    expect(addressNumber("0.0.1.2")).toEqual({ family: 4, value: 258n });
    expect(addressNumber("::1")).toEqual({ family: 6, value: 1n });
    expect(addressNumber("64:ff9b::1.2.3.4")?.value).toBe((0x64n << 112n) + (0xff9bn << 96n) + 0x01020304n);
  });

  it("refuses a file with a bad line, naming it", () => {
    expect(() => parseCsvPlaces("1.0.0.0,1.0.0.255,AU\n1.0.1.0,bogus,AU\n", "geo.csv")).toThrow(
      /geo\.csv: line 2/,
    );
    expect(() => parseCsvPlaces("1.0.0.9,1.0.0.1,AU\n")).toThrow(/line 1/);
    expect(() => parseCsvPlaces("1.0.0.0,::1,AU\n")).toThrow(/line 1/);
  });
});
