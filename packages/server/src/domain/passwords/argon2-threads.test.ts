/**
 * Invariant: argon2 runs on threads of its own whose CPU priority is below the event loop's, so a
 * login storm cannot starve other requests of the CPU; results are those of `@node-rs/argon2`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { verify as referenceVerify } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { createArgon2Threads } from "./argon2-threads.js";

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

/** Thread ids of this process with the given `nice` value (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadsWithNice(nice: number): Set<string> {
  const found = new Set<string>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[16]) === nice) found.add(tid);
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

describe("createArgon2Threads", () => {
  it("hashes and verifies as @node-rs/argon2 does", async () => {
    const threads = createArgon2Threads({ threads: 2 });
    const stored = await threads.hash("correct horse battery staple", CHEAP);

    expect(await referenceVerify(stored, "correct horse battery staple")).toBe(true);
    expect(await threads.verify(stored, "correct horse battery staple")).toBe(true);
    expect(await threads.verify(stored, "correct horse battery stapler")).toBe(false);
  });

  it("rejects a hash it cannot read, as the library does", async () => {
    const threads = createArgon2Threads({ threads: 1 });
    await expect(threads.verify("$argon2id$v=19$garbage", "password")).rejects.toThrow();
    // The thread carries on.
    expect(await threads.verify(await threads.hash("again", CHEAP), "again")).toBe(true);
  });

  it.runIf(process.platform === "linux")(
    "runs the hashes on threads below the event loop's priority",
    async () => {
      const before = threadsWithNice(13);
      const threads = createArgon2Threads({ threads: 2, niceness: 13 });
      await Promise.all([threads.hash("one", CHEAP), threads.hash("two", CHEAP)]);

      const lowered = [...threadsWithNice(13)].filter((tid) => !before.has(tid));
      expect(lowered).toHaveLength(2);
      expect(threadsWithNice(13).has(String(process.pid))).toBe(false);
    },
  );

  it("keeps a process alive while a hash is computed, and lets it end when idle", () => {
    // A command line that awaits one hash and prints it: it must print, then exit by itself, the
    // thread that hashed nothing included.
    const script = `
      import { createArgon2Threads } from ${JSON.stringify(new URL("./argon2-threads.ts", import.meta.url).pathname)};
      const threads = createArgon2Threads({ threads: 2 });
      console.log((await threads.hash("pw", { memoryCost: 1024, timeCost: 1 })).slice(0, 10));
    `;
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("$argon2id$");
    expect(result.status).toBe(0);
  });

  it("refuses a thread count or niceness out of range", () => {
    expect(() => createArgon2Threads({ threads: 0 })).toThrow(/threads/);
    expect(() => createArgon2Threads({ threads: 1, niceness: 20 })).toThrow(/niceness/);
  });
});
