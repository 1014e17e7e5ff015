import { describe, expect, it } from "vitest";
import { describeEphemeralStoreContract } from "../../../test/support/ephemeral-store-contract.js";
import { createManualClock } from "../../domain/clock.js";
import { createMemoryEphemeralStore } from "./memory-ephemeral-store.js";

const shared = createMemoryEphemeralStore(createManualClock());
describeEphemeralStoreContract("memory", () => shared);

describe("memory ephemeral store: expiry", () => {
  it("forgets a value once its TTL has passed, and an increment keeps the first TTL", async () => {
    const clock = createManualClock();
    const store = createMemoryEphemeralStore(clock);
    await store.put("challenge", "c", 1_000);
    await store.increment("attempts", 1_000);
    clock.advance(600);
    expect(await store.increment("attempts", 1_000)).toBe(2);
    clock.advance(400);
    expect(await store.get("challenge")).toBeUndefined();
    expect(await store.increment("attempts", 1_000)).toBe(1);
    expect(await store.putIfAbsent("challenge", "again", 1_000)).toBe(true);
  });
});
