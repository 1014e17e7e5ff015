import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chooseLogFormat, createLogDestination } from "./log-destination.js";

const dir = mkdtempSync(join(tmpdir(), "portcullis-log-destination-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const nextFile = () => join(dir, `log-${++files}.log`);
const read = (file: string) => readFileSync(file, "utf8");
const line = (msg: string) => `${JSON.stringify({ level: 30, time: 0, msg })}\n`;

describe("chooseLogFormat", () => {
  it("makes lines readable only for a person at a terminal in development", () => {
    expect(chooseLogFormat("development", true)).toBe("pretty");
    expect(chooseLogFormat("development", false)).toBe("json");
    expect(chooseLogFormat("production", true)).toBe("json");
    expect(chooseLogFormat("production", false)).toBe("json");
    expect(chooseLogFormat("test", true)).toBe("json");
  });
});

describe("createLogDestination", () => {
  it("gathers lines in memory rather than writing each one", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "json" });
    logs.stream.write(line("first"));
    logs.stream.write(line("second"));
    // Nothing yielded to the event loop: a destination that wrote at once would have written by now.
    expect(read(file)).toBe("");
    await logs.close();
    expect(read(file)).toBe(line("first") + line("second"));
  });

  it("writes what is buffered synchronously with flushSync, for the way out of a crash", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "json" });
    logs.stream.write(line("last words"));
    logs.flushSync();
    expect(read(file)).toBe(line("last words"));
    await logs.close();
  });

  it("writes a full buffer without being asked", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "json" });
    // Some 40 KiB: more than one batch.
    const many = Array.from({ length: 1000 }, (_, i) => line(`line ${i}`));
    for (const text of many) logs.stream.write(text);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(read(file).length).toBeGreaterThanOrEqual(16_384);
    await logs.close();
    expect(read(file)).toBe(many.join(""));
  });

  it("formats lines given to writeLater 64 at a time, in their place among the lines written", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "json" });
    const writeLater = logs.stream.writeLater?.bind(logs.stream);
    expect(writeLater).toBeDefined();
    let formatted = 0;
    const format = (n: number) => {
      formatted++;
      return line(`later ${n}`);
    };
    logs.stream.write(line("before"));
    for (let n = 0; n < 63; n++) writeLater?.(n, format);
    expect(formatted).toBe(0);
    writeLater?.(63, format);
    expect(formatted).toBe(64);
    writeLater?.(64, format);
    // A line written now goes after the one waiting to be formatted, which is formatted first.
    logs.stream.write(line("after"));
    expect(formatted).toBe(65);
    writeLater?.(65, format);
    await logs.close();
    const later = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => line(`later ${from + i}`)).join("");
    expect(read(file)).toBe(line("before") + later(0, 65) + line("after") + later(65, 66));
  });

  it("writes the lines still to format synchronously with flushSync, after those buffered", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "json" });
    logs.stream.write(line("buffered"));
    logs.stream.writeLater?.("not formatted yet", line);
    logs.flushSync();
    expect(read(file)).toBe(line("buffered") + line("not formatted yet"));
    await logs.close();
  });

  it("turns JSON lines into readable text in the pretty format, an access-log line into one line", async () => {
    const file = nextFile();
    const logs = await createLogDestination({ target: file, format: "pretty" });
    const access = {
      reqId: "r-1",
      method: "GET",
      route: "/v1/me",
      status: 200,
      durationMs: 1.25,
      userId: "u-1",
    };
    logs.stream.write(`${JSON.stringify({ level: 30, time: 0, msg: "request completed", ...access })}\n`);
    logs.stream.write(`${JSON.stringify({ level: 40, time: 0, msg: "signing key reload failed" })}\n`);
    await logs.close();
    const written = read(file).trimEnd().split("\n");
    expect(written).toHaveLength(2);
    expect(written[0]).toContain("INFO");
    expect(written[0]).toContain("GET /v1/me 200 1.25 ms (user u-1)");
    expect(written[0]).not.toContain("r-1");
    expect(written[1]).toContain("WARN");
    expect(written[1]).toContain("signing key reload failed");
  });
});
