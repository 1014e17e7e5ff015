import { describe, expect, it } from "vitest";
import { deriveKeyEncryptionKey, encryptSecretValue } from "./key-encryption.js";
import { createKeyRing } from "./key-ring.js";
import { generateSigningKey, type SigningAlgorithm, type StoredSigningKey } from "./signing-key.js";

const kek = deriveKeyEncryptionKey("key-ring tests");
const t0 = Date.UTC(2026, 0, 1);

const key = (
  alg: SigningAlgorithm,
  createdAt: number,
  retiredAt: number | null = null,
): StoredSigningKey => ({
  ...generateSigningKey(alg, { kek, now: createdAt }),
  retiredAt,
});

describe("createKeyRing", () => {
  it("signs with the newest non-retired key of the configured algorithm", () => {
    const old = key("ES256", t0);
    const current = key("ES256", t0 + 1000);
    const retiredNewer = key("ES256", t0 + 2000, t0 + 3000);
    const otherAlg = key("EdDSA", t0 + 5000);
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [current, retiredNewer, old, otherAlg] });
    const signing = ring.signingKey();
    expect(signing).toMatchObject({ kid: current.kid, alg: "ES256" });
    expect(signing.key.type).toBe("private");
  });

  it("verifies with public keys, by kid, retired ones included", () => {
    const retired = key("ES256", t0, t0 + 10);
    const current = key("ES256", t0 + 10);
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [retired, current] });
    for (const { kid } of [retired, current]) {
      const found = ring.verificationKey(kid);
      expect(found?.alg).toBe("ES256");
      expect(found?.key.type).toBe("public");
    }
  });

  it("has no fallback for an unknown kid, nor for names on Object.prototype", () => {
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [key("ES256", t0)] });
    for (const kid of ["unknown", "", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(ring.verificationKey(kid)).toBeUndefined();
    }
  });

  it("never uses keys of another algorithm, for signing, verifying or publishing", () => {
    const es = key("ES256", t0);
    const rs = key("RS256", t0 + 1000);
    const hs = key("HS256", t0 + 2000);
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [es, rs, hs] });
    expect(ring.signingKey().kid).toBe(es.kid);
    expect(ring.verificationKey(rs.kid)).toBeUndefined();
    expect(ring.verificationKey(hs.kid)).toBeUndefined();
    expect(ring.jwks().keys.map((jwk) => jwk.kid)).toEqual([es.kid]);
  });

  it("publishes public JWKs newest first, and never an HS256 key", () => {
    const older = key("EdDSA", t0, t0 + 100);
    const newer = key("EdDSA", t0 + 100);
    const ring = createKeyRing({ kek, algorithm: "EdDSA", keys: [older, newer] });
    expect(ring.jwks()).toEqual({ keys: [newer.publicJwk, older.publicJwk] });

    const hsRing = createKeyRing({ kek, algorithm: "HS256", keys: [key("HS256", t0)] });
    expect(hsRing.jwks()).toEqual({ keys: [] });
    expect(hsRing.verificationKey(hsRing.signingKey().kid)?.key.type).toBe("secret");
  });

  it("hands out copies of the JWKS", () => {
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [key("ES256", t0)] });
    const first = ring.jwks();
    first.keys[0]!.d = "injected";
    first.keys.push({ kty: "oct" });
    expect(ring.jwks().keys).toHaveLength(1);
    expect(ring.jwks().keys[0]).not.toHaveProperty("d");
  });

  it("throws when there is no key, or no current key, of the configured algorithm", () => {
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [] })).toThrow(/no usable ES256 signing key/);
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [key("EdDSA", t0)] })).toThrow(
      /no usable ES256 signing key.*1 key\(s\) of other algorithms/,
    );
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [key("ES256", t0, t0 + 1)] })).toThrow(
      /none is current/,
    );
  });

  it("throws, naming every broken key, when keys cannot be opened", () => {
    const a = key("ES256", t0);
    const b = key("ES256", t0 + 1);
    expect(() =>
      createKeyRing({ kek: deriveKeyEncryptionKey("wrong secret"), algorithm: "ES256", keys: [a, b] }),
    ).toThrow(new RegExp(`${a.kid}.*authentication failed[\\s\\S]*${b.kid}.*authentication failed`));
  });

  it("refuses a row whose public JWK does not match its private key", () => {
    const a = key("ES256", t0);
    const b = key("ES256", t0);
    const swapped = { ...a, publicJwk: b.publicJwk };
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [swapped] })).toThrow(/does not match/);
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [{ ...a, publicJwk: null }] })).toThrow(
      /does not match/,
    );
  });

  it("refuses a key whose material is not of its algorithm's type, or too weak", () => {
    const ed = key("EdDSA", t0);
    const edLabelledEs = { ...ed, alg: "ES256" as const };
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [edLabelledEs] })).toThrow(
      /expected an EC P-256 key/,
    );
    const shortSecret: StoredSigningKey = {
      ...key("HS256", t0),
      privateKeySealed: encryptSecretValue(kek, Buffer.alloc(16, 1)),
    };
    expect(() => createKeyRing({ kek, algorithm: "HS256", keys: [shortSecret] })).toThrow(
      /at least 32 bytes/,
    );
  });

  it("refuses duplicate and malformed kids", () => {
    const a = key("ES256", t0);
    expect(() => createKeyRing({ kek, algorithm: "ES256", keys: [a, a] })).toThrow(/duplicate kid/);
    expect(() =>
      createKeyRing({ kek, algorithm: "ES256", keys: [{ ...a, kid: "../../etc/passwd" }] }),
    ).toThrow(/invalid format/);
  });

  it("replace() swaps the keys and bumps the version; a bad list changes nothing", () => {
    const first = key("ES256", t0);
    const ring = createKeyRing({ kek, algorithm: "ES256", keys: [first] });
    expect(ring.version).toBe(1);
    const second = key("ES256", t0 + 1000);
    ring.replace([{ ...first, retiredAt: t0 + 1000 }, second]);
    expect(ring.version).toBe(2);
    expect(ring.signingKey().kid).toBe(second.kid);
    expect(ring.verificationKey(first.kid)).toBeDefined();

    expect(() => ring.replace([])).toThrow(/no usable/);
    expect(ring.version).toBe(2);
    expect(ring.signingKey().kid).toBe(second.kid);
  });
});
