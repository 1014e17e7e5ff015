/**
 * Redis for the instant-revocation tests: reachable at PORTCULLIS_TEST_REDIS_URL (default
 * 127.0.0.1:6379). Outside CI a missing Redis skips those tests with a visible warning; with
 * CI=true it fails the run, so CI never passes without having run them.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";

export const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1_000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

/** Whether Redis is there; throws under CI=true when it is not. */
export async function redisAvailable(suite: string): Promise<boolean> {
  if (await reachable(REDIS_URL)) return true;
  if (process.env.CI === "true")
    throw new Error(`CI=true but Redis (${REDIS_URL}) is not reachable for ${suite}`);
  console.warn(`\n!! Redis (${REDIS_URL}) not reachable: "${suite}" is SKIPPED.\n`);
  return false;
}

/** A channel prefix no other test or run shares. */
export const uniquePrefix = () => `pcmwtest:${process.pid}_${randomBytes(4).toString("hex")}:`;
