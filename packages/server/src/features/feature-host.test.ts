import { describe, expect, it } from "vitest";
import { createFeatureHost } from "./feature-host.js";

function recordingLog() {
  const lines: { object: unknown; message: string }[] = [];
  return { lines, warn: (object: unknown, message: string) => lines.push({ object, message }) };
}

describe("createFeatureHost", () => {
  it("stops in a fixed order: workers asked first, then each feature's stop, last registered first", async () => {
    const events: string[] = [];
    const host = createFeatureHost(recordingLog());
    host.onStop(() => {
      events.push("shared state closed");
    });
    host.worker({
      start: () => {},
      stop: async () => {
        events.push("mail worker asked");
      },
    });
    host.onStop(async () => {
      await Promise.resolve();
      events.push("revocation sync stopped");
    });
    host.worker({
      start: () => {},
      stop: async () => {
        events.push("webhook worker asked");
      },
    });
    host.onStop(async () => {
      events.push("provider stopped");
    });

    await host.stop();

    expect(events).toEqual([
      "mail worker asked",
      "webhook worker asked",
      "provider stopped",
      "revocation sync stopped",
      "shared state closed",
    ]);
  });

  it("registers each feature's routes in the order the features were built", async () => {
    const host = createFeatureHost(recordingLog());
    const registered: string[] = [];
    host.serveWith(async () => {
      registered.push("operations");
    });
    host.serveWith(async () => {
      registered.push("pages");
    });
    expect(host.routes).toHaveLength(2);
    for (const register of host.routes)
      await register({} as Parameters<typeof register>[0], {} as Parameters<typeof register>[1]);
    expect(registered).toEqual(["operations", "pages"]);
  });

  it("writes out every buffered write before closing, logging a failure and going on to the next", async () => {
    const log = recordingLog();
    const host = createFeatureHost(log);
    const flushed: string[] = [];
    host.beforeClose(async () => {
      throw new Error("database gone");
    }, "API key lastUsedAt flush failed");
    host.beforeClose(async () => {
      flushed.push("second");
    }, "second flush failed");

    await host.flushBeforeClose();

    expect(flushed).toEqual(["second"]);
    expect(log.lines).toEqual([
      { object: { err: new Error("database gone") }, message: "API key lastUsedAt flush failed" },
    ]);
  });

  it("does not run a timer's task when it is registered, runs it once the timers start, and logs its failure", async () => {
    const lines: { object: unknown; message: string }[] = [];
    let logged: () => void = () => {};
    const failureLogged = new Promise<void>((resolve) => {
      logged = resolve;
    });
    const host = createFeatureHost({
      warn: (object, message) => {
        lines.push({ object, message });
        logged();
      },
    });
    let runs = 0;
    host.every(
      1,
      async () => {
        runs += 1;
        throw new Error("reload failed");
      },
      "signing key reload failed",
    );
    await Promise.resolve();
    expect(runs).toBe(0);

    host.startTimers();
    await failureLogged;
    await host.stop();

    expect(runs).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toEqual({
      object: { err: new Error("reload failed") },
      message: "signing key reload failed",
    });
  });
});
