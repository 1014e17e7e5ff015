/**
 * Each imported scheme is checked against vectors made by its own published algorithm, outside
 * this code: Django's test suite, passlib's, Firebase's README (github.com/firebase/scrypt), and
 * Python's `hashlib` (PBKDF2 with Keycloak's parameters, scrypt with Better Auth's).
 */
import { describe, expect, it } from "vitest";
import {
  betterAuthScryptHash,
  type FirebaseHashParameters,
  firebaseScryptHash,
  identifyImportedHash,
  validateFirebaseHashParameters,
  verifyImportedHash,
} from "./imported-password-hashes.js";

// Django tests/auth_tests/test_hashers.py (test_pbkdf2, test_low_level_pbkdf2_sha1).
const DJANGO_SHA256 = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=";
const DJANGO_SHA1 = "pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=";
// passlib's pbkdf2_sha256 vector: adapted base64 ("." for "+"), iterations without "i=".
const PASSLIB_SHA256 =
  "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ";
// Keycloak's pbkdf2-sha256 (27,500 iterations) and pbkdf2-sha512 (210,000) with its 512-bit key,
// from hashlib.pbkdf2_hmac(digest, "correct horse battery staple", salt, iterations, 64).
const KEYCLOAK_SALT = "obLD1OX2BxgpOktcbX6PkA==";
const KEYCLOAK_SHA256 = `$pbkdf2-sha256$i=27500,l=64$${KEYCLOAK_SALT}$qsUEo0+WVBD1YWgoGDEnumM10x852OH+PcWcShgb4zk+Cry9prra4008tRx5diWMDhwVihFz0JpiGrgfH8sK+A==`;
const KEYCLOAK_SHA512 = `$pbkdf2-sha512$i=210000$${KEYCLOAK_SALT}$XnS8bjqOddxId8eRuOSk9gfPk4DldmnMe5RdaxlmpreFXV+WN0AX/U9VhfQC34sUrttdaXHfj1MLSpXwkbqW0w==`;

// github.com/firebase/scrypt README: the sample project's parameters and user.
const FIREBASE: FirebaseHashParameters = {
  signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
  saltSeparator: "Bw==",
  rounds: 8,
  memCost: 14,
};
const FIREBASE_SALT = "42xEC+ixf3L2lw==";
const FIREBASE_HASH =
  "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==";

describe("verifyImportedHash › Django PBKDF2", () => {
  it("accepts Django's own pbkdf2_sha256 vector and refuses a near miss", async () => {
    expect(identifyImportedHash(DJANGO_SHA256)).toBe("pbkdf2");
    expect(await verifyImportedHash(DJANGO_SHA256, "lètmein")).toBe(true);
    expect(await verifyImportedHash(DJANGO_SHA256, "lètmeinz")).toBe(false);
    // The salt is text to Django: the same bytes base64-decoded would give another key.
    expect(await verifyImportedHash(DJANGO_SHA256.replace("seasalt", "seasalu"), "lètmein")).toBe(false);
  });

  it("accepts Django's pbkdf2_sha1 vector", async () => {
    expect(await verifyImportedHash(DJANGO_SHA1, "lètmein")).toBe(true);
    expect(await verifyImportedHash(DJANGO_SHA1, "letmein")).toBe(false);
  });
});

describe("verifyImportedHash › PHC PBKDF2 (passlib, Auth0, Keycloak)", () => {
  it("accepts passlib's vector in its adapted base64", async () => {
    expect(identifyImportedHash(PASSLIB_SHA256)).toBe("pbkdf2");
    expect(await verifyImportedHash(PASSLIB_SHA256, "password")).toBe(true);
    expect(await verifyImportedHash(PASSLIB_SHA256, "Password")).toBe(false);
  });

  it.each([
    ["pbkdf2-sha256", KEYCLOAK_SHA256],
    ["pbkdf2-sha512", KEYCLOAK_SHA512],
  ])("accepts Keycloak's %s with its 512-bit key", async (_label, stored) => {
    expect(await verifyImportedHash(stored, "correct horse battery staple")).toBe(true);
    expect(await verifyImportedHash(stored, "correct horse battery stapler")).toBe(false);
  });

  it("refuses a hash whose declared length does not match its digest", () => {
    expect(identifyImportedHash(KEYCLOAK_SHA256.replace("l=64", "l=32"))).toBeNull();
  });
});

describe("verifyImportedHash › Firebase scrypt", () => {
  const stored = firebaseScryptHash(FIREBASE, FIREBASE_SALT, FIREBASE_HASH);

  it("builds one self-describing string from the export and the project's parameters", () => {
    expect(stored).toBe(
      `$firebase-scrypt$m=14,r=8,s=Bw,k=${FIREBASE.signerKey.replace(/=+$/, "")}$42xEC+ixf3L2lw$${FIREBASE_HASH.replace(/=+$/, "")}`,
    );
    expect(identifyImportedHash(stored ?? "")).toBe("firebase-scrypt");
  });

  it("accepts the README's user with their password and refuses another", async () => {
    expect(await verifyImportedHash(stored ?? "", "user1password")).toBe(true);
    expect(await verifyImportedHash(stored ?? "", "user2password")).toBe(false);
  });

  it("fails with another project's salt separator", async () => {
    const other = firebaseScryptHash({ ...FIREBASE, saltSeparator: "CA==" }, FIREBASE_SALT, FIREBASE_HASH);
    expect(await verifyImportedHash(other ?? "", "user1password")).toBe(false);
  });

  it("takes URL-safe base64 as Firebase's API returns it", () => {
    const urlSafe = FIREBASE_HASH.replace(/\+/g, "-").replace(/\//g, "_");
    expect(firebaseScryptHash(FIREBASE, FIREBASE_SALT, urlSafe)).toBe(stored);
  });

  it("gives null for a hash that cannot belong to the project (not the signer key's length)", () => {
    expect(firebaseScryptHash(FIREBASE, FIREBASE_SALT, "AAAA")).toBeNull();
    expect(firebaseScryptHash(FIREBASE, "not base64!", FIREBASE_HASH)).toBeNull();
  });

  it("refuses parameters outside Firebase's bounds, listing every problem", () => {
    expect(() =>
      validateFirebaseHashParameters({ signerKey: "", saltSeparator: "Bw==", rounds: 9, memCost: 15 }),
    ).toThrow(/signer key.*rounds.*memory cost/);
  });
});

describe("verifyImportedHash › scrypt (passlib, Better Auth)", () => {
  // hashlib.scrypt(b"password", salt=bytes(range(1, 17)), n=2**10, r=8, p=1, dklen=32)
  const passlibStyle =
    "$scrypt$ln=10,r=8,p=1$AQIDBAUGBwgJCgsMDQ4PEA$0xkJGhhYLCNE+yKCEsW+ZTin6SdcEWvP8v7PGNQWqH0";
  // Better Auth's SALT:KEY, from hashlib.scrypt(password, salt=SALT.encode(), n=2**14, r=16, p=1, dklen=64),
  // the parameters of @better-auth/utils/password.
  const betterAuth =
    "9f86d081884c7d659a2feaa0c55ad015:97d47df5d547258b860af02ef4f3e3d69e346fcc0887faccd03564204d389e4bacee13f9aedff163e2edfdd865cec75aa916522faa4d83a13e2b63dac4936674";

  it("accepts a PHC scrypt hash and refuses a near miss", async () => {
    expect(identifyImportedHash(passlibStyle)).toBe("scrypt");
    expect(await verifyImportedHash(passlibStyle, "password")).toBe(true);
    expect(await verifyImportedHash(passlibStyle, "passw0rd")).toBe(false);
  });

  it("turns Better Auth's SALT:KEY into a PHC scrypt hash that verifies", async () => {
    const stored = betterAuthScryptHash(betterAuth) ?? "";
    expect(stored).toMatch(/^\$scrypt\$ln=14,r=16,p=1\$/);
    expect(await verifyImportedHash(stored, "correct horse battery staple")).toBe(true);
    expect(await verifyImportedHash(stored, "correct horse battery stapler")).toBe(false);
    expect(betterAuthScryptHash("abc:def")).toBeNull();
  });

  it("refuses parameters that would take more than 64 MiB to verify", () => {
    expect(identifyImportedHash(passlibStyle.replace("ln=10,r=8", "ln=20,r=8"))).toBeNull();
  });
});

describe("identifyImportedHash", () => {
  it.each([
    ["an empty string", ""],
    ["Django's unsalted MD5", "md5$$88a434c88cca4e900f7874cd98123f43"],
    ["a Django hash with a short digest", "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ"],
    [
      "a Django hash with no iterations",
      "pbkdf2_sha256$$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
    ],
    ["too many iterations", `pbkdf2_sha256$99999999$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=`],
    ["an unknown PBKDF2 digest", "$pbkdf2-md5$1000$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"],
    ["a PHC PBKDF2 hash that is not base64", "$pbkdf2-sha256$1000$c2FsdA$not*base64"],
    ["a Firebase hash with a memory cost above 14", `$firebase-scrypt$m=20,r=8,s=Bw,k=AAAA$AAAA$AAAA`],
    ["a Firebase hash shorter than its key", `$firebase-scrypt$m=14,r=8,s=Bw,k=AAAAAAAA$AAAA$AAAA`],
  ])("is null for %s", (_label, stored) => {
    expect(identifyImportedHash(stored)).toBeNull();
  });

  it("reports an unreadable hash to the verifier as such, not as a wrong password", async () => {
    expect(await verifyImportedHash("pbkdf2_sha256$1$x$y", "anything")).toBe("unreadable");
  });
});
