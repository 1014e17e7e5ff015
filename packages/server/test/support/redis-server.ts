/**
 * A Redis server of the test's own, on a free port, that the test may stop and start again (the
 * machine's shared Redis must not be stopped under other suites). Nothing is kept on disk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { findFreePort } from "./node-process.js";

export interface OwnRedisServer {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const port = await findFreePort();
  let child: ChildProcess | null = null;
  const server: OwnRedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const started = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child = started;
      let output = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`redis-server did not start on ${port}: ${output}`)),
          10_000,
        );
        started.stdout?.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (/Ready to accept connections/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
        started.once("exit", () => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited: ${output}`));
        });
      });
    },
    async stop() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGKILL");
      await exited;
    },
  };
  await server.start();
  return server;
}
