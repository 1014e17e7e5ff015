import { createPrivateKey, createPublicKey } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { decryptSecretValue, deriveKeyEncryptionKey } from "./key-encryption.js";
import { generateSigningKey, jwkThumbprint, KID_PATTERN } from "./signing-key.js";

const kek = deriveKeyEncryptionKey("signing-key tests");
const now = Date.UTC(2026, 0, 1);

const EXPECTED = {
  ES256: { members: ["alg", "crv", "kid", "kty", "use", "x", "y"], kty: "EC", crv: "P-256", keyType: "ec" },
  EdDSA: {
    members: ["alg", "crv", "kid", "kty", "use", "x"],
    kty: "OKP",
    crv: "Ed25519",
    keyType: "ed25519",
  },
  RS256: { members: ["alg", "e", "kid", "kty", "n", "use"], kty: "RSA", crv: undefined, keyType: "rsa" },
} as const;

describe("generateSigningKey", () => {
  describe.each(["ES256", "EdDSA", "RS256"] as const)("%s", (alg) => {
    const key = generateSigningKey(alg, { kek, now });
    const expected = EXPECTED[alg];

    it("uses the RFC 7638 thumbprint of the public key as kid", async () => {
      expect(key.kid).toMatch(KID_PATTERN);
      expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk as JWK, "sha256"));
    });

    it("publishes only public members, with kid, alg and use", () => {
      const jwk = key.publicJwk!;
      expect(Object.keys(jwk).sort()).toEqual(expected.members);
      expect(jwk).toMatchObject({ kty: expected.kty, kid: key.kid, alg, use: "sig" });
      if (expected.crv !== undefined) expect(jwk.crv).toBe(expected.crv);
      for (const privateMember of ["d", "p", "q", "dp", "dq", "qi", "k"])
        expect(jwk).not.toHaveProperty(privateMember);
    });

    it("seals the private key as PKCS#8 DER matching the public JWK", () => {
      const der = decryptSecretValue(kek, key.privateKeySealed);
      const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      expect(privateKey.asymmetricKeyType).toBe(expected.keyType);
      const fromJwk = createPublicKey({ key: key.publicJwk!, format: "jwk" });
      expect(createPublicKey(privateKey).equals(fromJwk)).toBe(true);
    });

    it("records its times", () => {
      expect(key.createdAt).toBe(now);
      expect(key.retiredAt).toBeNull();
    });
  });

  it("ES256 keys are on P-256 and RS256 keys are 3072 bits by default", () => {
    const ec = createPublicKey({ key: generateSigningKey("ES256", { kek, now }).publicJwk!, format: "jwk" });
    expect(ec.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const rsa = createPublicKey({ key: generateSigningKey("RS256", { kek, now }).publicJwk!, format: "jwk" });
    expect(rsa.asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it("refuses RS256 keys shorter than 3072 bits", () => {
    expect(() => generateSigningKey("RS256", { kek, now, rsaModulusLength: 2048 })).toThrow(/3072/);
    expect(() => generateSigningKey("RS256", { kek, now, rsaModulusLength: 3071 })).toThrow(/3072/);
    expect(() => generateSigningKey("RS256", { kek, now, rsaModulusLength: 3072.5 })).toThrow(/3072/);
  });

  it("HS256 keys are 32 random bytes with a random 22-character kid and no public JWK", () => {
    const a = generateSigningKey("HS256", { kek, now });
    const b = generateSigningKey("HS256", { kek, now });
    expect(a.publicJwk).toBeNull();
    expect(a.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.kid).not.toBe(b.kid);
    const secret = decryptSecretValue(kek, a.privateKeySealed);
    expect(secret).toHaveLength(32);
    expect(secret.equals(decryptSecretValue(kek, b.privateKeySealed))).toBe(false);
  });

  it("refuses an unknown algorithm", () => {
    expect(() => generateSigningKey("none" as "HS256", { kek, now })).toThrow(/unsupported/);
  });
});

describe("jwkThumbprint", () => {
  it("matches RFC 7638 §3.1 (RSA) and RFC 8037 Appendix A.3 (Ed25519)", () => {
    const rsa = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(jwkThumbprint(rsa)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    const okp = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
    expect(jwkThumbprint(okp)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });

  it("refuses a key with missing members or an unknown type", () => {
    expect(() => jwkThumbprint({ kty: "EC", crv: "P-256", x: "abc" })).toThrow(/missing/);
    expect(() => jwkThumbprint({ kty: "oct", k: "abc" })).toThrow(/unsupported/);
  });
});
