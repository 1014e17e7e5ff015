import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createMemoryEphemeralStore } from "../../store/ephemeral/memory-ephemeral-store.js";
import { createManualClock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import { createRefreshGrace } from "./refresh-grace.js";

const token = () => randomBytes(32).toString("base64url");

/** The memory store, with every value written kept aside for inspection. */
function recordingStore(clock = createManualClock()) {
  const inner = createMemoryEphemeralStore(clock);
  const written = new Map<string, string>();
  const store: EphemeralStore = {
    ...inner,
    async put(key, value, ttlMs) {
      written.set(key, value);
      await inner.put(key, value, ttlMs);
    },
    async putIfAbsent(key, value, ttlMs) {
      const stored = await inner.putIfAbsent(key, value, ttlMs);
      if (stored) written.set(key, value);
      return stored;
    },
  };
  return { store, written, clock };
}

describe("createRefreshGrace", () => {
  it("gives back the successor to whoever presents the rotated token", async () => {
    const { store } = recordingStore();
    const grace = createRefreshGrace({ ephemeral: store, windowMs: 2_000 });
    const [presented, successor] = [token(), token()];

    expect(await grace.agree(presented, successor)).toBe(successor);

    expect(await grace.recall(presented)).toBe(successor);
    expect(await grace.recall(presented)).toBe(successor);
    expect(await grace.recall(token())).toBeUndefined();
  });

  it("agrees on the first caller's successor: later callers with the same token get it, not their own", async () => {
    const { store } = recordingStore();
    const grace = createRefreshGrace({ ephemeral: store, windowMs: 2_000 });
    const [presented, first, second] = [token(), token(), token()];

    expect(await grace.agree(presented, first)).toBe(first);
    expect(await grace.agree(presented, second)).toBe(first);
    expect(await grace.agree(token(), second)).toBe(second);
  });

  it("keeps neither token in clear, nor under a key that names the presented token", async () => {
    const { store, written } = recordingStore();
    const grace = createRefreshGrace({ ephemeral: store, windowMs: 2_000 });
    const [presented, successor] = [token(), token()];

    await grace.agree(presented, successor);

    expect(written.size).toBe(1);
    for (const [key, value] of written) {
      expect(key).not.toContain(presented);
      expect(value).not.toContain(successor);
      expect(value).not.toContain(Buffer.from(successor).toString("base64url"));
      expect(value).not.toContain(presented);
    }
  });

  it("forgets the successor when the window has passed", async () => {
    const { store, clock } = recordingStore();
    const grace = createRefreshGrace({ ephemeral: store, windowMs: 2_000 });
    const [presented, successor] = [token(), token()];
    await grace.agree(presented, successor);

    clock.advance(1_999);
    expect(await grace.recall(presented)).toBe(successor);
    clock.advance(1);
    expect(await grace.recall(presented)).toBeUndefined();
  });

  it("yields nothing for a sealed value altered in the store", async () => {
    const { store, written } = recordingStore();
    const grace = createRefreshGrace({ ephemeral: store, windowMs: 2_000 });
    const presented = token();
    await grace.agree(presented, token());
    const [key, sealed] = [...written][0] ?? ["", ""];
    const parts = sealed.split(".");
    const ciphertext = Buffer.from(parts[3] ?? "", "base64url");
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    await store.put(key, [...parts.slice(0, 3), ciphertext.toString("base64url")].join("."), 2_000);

    expect(await grace.recall(presented)).toBeUndefined();
  });

  it.each([0, -1, 1.5])("refuses a window of %s ms", (windowMs) => {
    expect(() => createRefreshGrace({ ephemeral: recordingStore().store, windowMs })).toThrow(/windowMs/);
  });
});
