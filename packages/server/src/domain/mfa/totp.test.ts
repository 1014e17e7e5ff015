/**
 * Invariant: TOTP codes are RFC 6238's — the Appendix B test vectors for SHA-1, SHA-256 and
 * SHA-512 (with the seed lengths of the RFC errata: 20, 32 and 64 bytes) come out digit for
 * digit — and a code is matched to its time step within one step either side, never two, so the
 * caller can refuse a step it has seen (RFC 6238 §5.2).
 */
import { describe, expect, it } from "vitest";
import {
  generateTotpSecret,
  looksLikeTotpCode,
  matchTotpStep,
  renderTotpQrCode,
  totpAuthUri,
  totpCode,
  totpSecretBase32,
  totpStep,
} from "./totp.js";

const ascii = (text: string) => new Uint8Array(Buffer.from(text, "ascii"));
const SEEDS = {
  SHA1: ascii("12345678901234567890"),
  SHA256: ascii("12345678901234567890123456789012"),
  SHA512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
} as const;

// RFC 6238 Appendix B: time (seconds) → 8-digit codes for SHA1, SHA256, SHA512.
const VECTORS: [number, string, string, string][] = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];

describe("RFC 6238 Appendix B test vectors", () => {
  it.each(VECTORS)("at T=%i the codes are SHA1 %s, SHA256 %s, SHA512 %s", (seconds, sha1, sha256, sha512) => {
    const at = seconds * 1000;
    expect(totpCode(SEEDS.SHA1, at, { algorithm: "SHA1", digits: 8 })).toBe(sha1);
    expect(totpCode(SEEDS.SHA256, at, { algorithm: "SHA256", digits: 8 })).toBe(sha256);
    expect(totpCode(SEEDS.SHA512, at, { algorithm: "SHA512", digits: 8 })).toBe(sha512);
  });

  it("uses 30-second steps from T0 = 0 (T=59 is step 1, T=1111111109 step 37037036)", () => {
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(1_111_111_109_000)).toBe(37_037_036);
  });

  it("gives the six-digit default the last six digits of the eight-digit vector", () => {
    expect(totpCode(SEEDS.SHA1, 59_000)).toBe("287082");
  });

  it("writes the SHA-1 seed in base32 as the otpauth URIs of the RFC examples do", () => {
    expect(totpSecretBase32(SEEDS.SHA1)).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });
});

describe("matchTotpStep", () => {
  const secret = SEEDS.SHA1;
  const now = 1_234_567_890_000;
  const step = totpStep(now);
  const codeAt = (offsetSteps: number) => totpCode(secret, now + offsetSteps * 30_000);

  it("returns the step of the current code and of the codes one step before and after", () => {
    expect(matchTotpStep(secret, codeAt(0), now)).toBe(step);
    expect(matchTotpStep(secret, codeAt(-1), now)).toBe(step - 1);
    expect(matchTotpStep(secret, codeAt(1), now)).toBe(step + 1);
  });

  it("refuses codes two steps away, other secrets' codes, and malformed input", () => {
    expect(matchTotpStep(secret, codeAt(-2), now)).toBeNull();
    expect(matchTotpStep(secret, codeAt(2), now)).toBeNull();
    expect(matchTotpStep(ascii("another-secret-20-by"), codeAt(0), now)).toBeNull();
    for (const bad of ["", "12345", "1234567", "abcdef", "12 34 5x"]) {
      expect(matchTotpStep(secret, bad, now)).toBeNull();
    }
  });

  it("ignores spaces, as apps show codes in groups", () => {
    const code = codeAt(0);
    expect(matchTotpStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(step);
    expect(looksLikeTotpCode(`${code.slice(0, 3)} ${code.slice(3)}`)).toBe(true);
    expect(looksLikeTotpCode("abcd-efgh")).toBe(false);
  });
});

describe("secrets, URIs and QR codes", () => {
  it("makes 160-bit secrets that differ every time", () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a.length).toBe(20);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("builds an otpauth:// URI with issuer, account, SHA1, 6 digits and 30 s", () => {
    const uri = new URL(
      totpAuthUri({ secret: SEEDS.SHA1, issuer: "Portcullis", accountName: "ada@example.com" }),
    );
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Portcullis:ada@example.com");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: "Portcullis",
      secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
  });

  it("renders the URI as a PNG data URL", async () => {
    const url = await renderTotpQrCode("otpauth://totp/Portcullis:ada?secret=GEZDGNBV&issuer=Portcullis");
    expect(url).toMatch(/^data:image\/png;base64,/);
    const png = Buffer.from(url.slice("data:image/png;base64,".length), "base64");
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  });
});
