import { describe, expect, it } from "vitest";
import { createManualClock } from "../../domain/clock.js";
import { createEphemeralOidcModelStore } from "./ephemeral-oidc-model-store.js";
import { createMemoryEphemeralStore } from "./memory-ephemeral-store.js";

describe("createEphemeralOidcModelStore", () => {
  const setUp = () => {
    const clock = createManualClock(1_000_000);
    const ephemeral = createMemoryEphemeralStore(clock);
    return { clock, store: createEphemeralOidcModelStore(ephemeral, clock, "PushedAuthorizationRequest") };
  };

  it("keeps a payload for its lifetime, and no longer", async () => {
    const { clock, store } = setUp();
    await store.upsert("r1", { clientId: "c1" }, 60);
    expect(await store.find("r1")).toEqual({ clientId: "c1" });
    clock.advance(60_001);
    expect(await store.find("r1")).toBeUndefined();
  });

  it("lets one caller consume it, marks it consumed, and keeps its remaining lifetime", async () => {
    const { clock, store } = setUp();
    await store.upsert("r2", { clientId: "c1" }, 60);
    clock.advance(10_000);
    const answers = await Promise.all([store.consume("r2"), store.consume("r2"), store.consume("r2")]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await store.find("r2")).toMatchObject({ consumed: 1010 });
    clock.advance(49_999);
    expect(await store.find("r2")).toBeDefined();
    clock.advance(2);
    expect(await store.find("r2")).toBeUndefined();
  });

  it("forgets a destroyed one, and consumes nothing that is not there", async () => {
    const { store } = setUp();
    await store.upsert("r3", {}, 60);
    await store.destroy("r3");
    expect(await store.find("r3")).toBeUndefined();
    expect(await store.consume("r3")).toBe(false);
  });
});
