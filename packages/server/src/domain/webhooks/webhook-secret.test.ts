import { describe, expect, it } from "vitest";
import { createWebhookSecretBox, generateWebhookSecret, signWebhook } from "./webhook-secret.js";

describe("signWebhook", () => {
  it("reproduces the Standard Webhooks reference vector", () => {
    // The vector the specification's reference libraries test against: a receiver's library accepts ours.
    expect(
      signWebhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("signs differently when the id, the timestamp or a byte of the body differs", () => {
    const secret = generateWebhookSecret();
    const base = signWebhook(secret, "msg_1", 1700000000, "{}");
    expect(signWebhook(secret, "msg_2", 1700000000, "{}")).not.toBe(base);
    expect(signWebhook(secret, "msg_1", 1700000001, "{}")).not.toBe(base);
    expect(signWebhook(secret, "msg_1", 1700000000, "{ }")).not.toBe(base);
  });

  it("refuses a secret without the whsec_ prefix rather than keying with the wrong bytes", () => {
    expect(() => signWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1, "{}")).toThrow(/whsec_/);
  });
});

describe("generateWebhookSecret", () => {
  it("is whsec_ and base64 of 32 random bytes", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret((size) => Buffer.alloc(size, 1))).toBe(
      `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
    );
  });
});

describe("createWebhookSecretBox", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

  it("seals so that only a box of the same server secret opens it", () => {
    const box = createWebhookSecretBox({ secret: "server-secret-0123456789-abcdefghijklmnop" });
    const sealed = box.seal(secret);
    expect(sealed.sealed).not.toContain("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    expect(sealed.keyId).toMatch(/^w1-[0-9a-f]{16}$/);
    expect(box.open(sealed)).toBe(secret);
    expect(box.seal(secret).sealed).not.toBe(sealed.sealed);

    const other = createWebhookSecretBox({ secret: "another-secret-0123456789-abcdefghijklmn" });
    expect(() => other.open(sealed)).toThrow(/does not derive/);
  });

  it("refuses an altered value", () => {
    const box = createWebhookSecretBox({ secret: "server-secret-0123456789-abcdefghijklmnop" });
    const sealed = box.seal(secret);
    const parts = sealed.sealed.split(".");
    const ciphertext = Buffer.from(parts[3] ?? "", "base64url");
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    const altered = [...parts.slice(0, 3), ciphertext.toString("base64url")].join(".");
    expect(() => box.open({ keyId: sealed.keyId, sealed: altered })).toThrow(/authentication failed/);
  });
});
