/**
 * The flow records and the exchange codes are one-time state (ASVS 6.4.1, 10.1.2). Invariants: a
 * flow is found only by its `state`, is bound to the browser cookie it was started with, expires
 * after ten minutes by the server's clock and can be spent once; an exchange code lives 60
 * seconds, works once, and neither is stored under its own value.
 */
import { describe, expect, it } from "vitest";
import { createMemoryEphemeralStore } from "../../store/ephemeral/memory-ephemeral-store.js";
import { createManualClock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import { createExchangeCodes } from "./exchange-codes.js";
import { createPendingAuthorizations, randomSecret, sha256 } from "./pending-authorizations.js";

function recordingStore(inner: EphemeralStore): EphemeralStore & { keys: string[]; values: string[] } {
  const keys: string[] = [];
  const values: string[] = [];
  return {
    ...inner,
    keys,
    values,
    async put(key, value, ttlMs) {
      keys.push(key);
      values.push(value);
      await inner.put(key, value, ttlMs);
    },
  };
}

const flow = (binding: string) => ({
  provider: "testidp",
  nonce: randomSecret(),
  codeVerifier: randomSecret(),
  redirectTo: "https://app.example.com/done",
  transport: "token" as const,
  linkUserId: null,
  browserBindingHash: sha256(binding),
});

describe("pending authorizations", () => {
  it("finds a flow by its state, bound to its browser, and spends it once", async () => {
    const clock = createManualClock();
    const store = recordingStore(createMemoryEphemeralStore(clock));
    const flows = createPendingAuthorizations({ ephemeral: store, clock });
    const state = randomSecret();
    const binding = randomSecret();
    await flows.save(state, flow(binding));

    expect(store.keys).toEqual([`oauth:state:${sha256(state)}`]);
    expect(store.values.join()).not.toContain(state);
    expect(store.values.join()).not.toContain(binding);

    const found = await flows.peek(state);
    expect(found?.provider).toBe("testidp");
    expect(flows.isBoundTo(found!, binding)).toBe(true);
    expect(flows.isBoundTo(found!, randomSecret())).toBe(false);
    expect(flows.isBoundTo(found!, undefined)).toBe(false);
    expect(flows.isBoundTo(found!, `${binding}x`)).toBe(false);

    expect(await flows.peek(randomSecret())).toBeUndefined();
    expect(await flows.take(state)).toBeDefined();
    expect(await flows.take(state)).toBeUndefined();
  });

  it("expires a flow after ten minutes", async () => {
    const clock = createManualClock();
    const flows = createPendingAuthorizations({ ephemeral: createMemoryEphemeralStore(clock), clock });
    const state = randomSecret();
    await flows.save(state, flow(randomSecret()));
    clock.advance(10 * 60_000 - 1);
    expect(await flows.peek(state)).toBeDefined();
    clock.advance(1);
    expect(await flows.peek(state)).toBeUndefined();
  });
});

describe("exchange codes", () => {
  it("are 256-bit, stored by hash, single use", async () => {
    const clock = createManualClock();
    const store = recordingStore(createMemoryEphemeralStore(clock));
    const codes = createExchangeCodes({ ephemeral: store, clock });
    const code = await codes.issue({ userId: "u1", provider: "testidp", transport: "token" });
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.keys).toEqual([`oauth:code:${sha256(code)}`]);
    expect(await codes.redeem(code)).toMatchObject({ userId: "u1", provider: "testidp" });
    expect(await codes.redeem(code)).toBeUndefined();
  });

  it("expire after 60 seconds, and refuse anything not shaped like a code", async () => {
    const clock = createManualClock();
    const codes = createExchangeCodes({ ephemeral: createMemoryEphemeralStore(clock), clock });
    const code = await codes.issue({ userId: "u1", provider: "testidp", transport: "token" });
    clock.advance(60_000);
    expect(await codes.redeem(code)).toBeUndefined();
    expect(await codes.redeem("")).toBeUndefined();
    expect(await codes.redeem("../../etc")).toBeUndefined();
  });

  it("hand out different codes each time", async () => {
    const clock = createManualClock();
    const codes = createExchangeCodes({ ephemeral: createMemoryEphemeralStore(clock), clock });
    const issued = new Set<string>();
    for (let i = 0; i < 50; i++)
      issued.add(await codes.issue({ userId: "u", provider: "p", transport: "token" }));
    expect(issued.size).toBe(50);
  });
});
