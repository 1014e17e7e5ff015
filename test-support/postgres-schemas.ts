/**
 * Global setup of the PostgreSQL + Redis run: names the run, so every schema its tests create
 * carries the name, and drops those schemas when the run ends (other runs' schemas are left alone).
 */
import { randomBytes } from "node:crypto";
import { dropRunSchemas } from "../packages/server/test/support/test-stores.js";

export function setup(): void {
  process.env.PORTCULLIS_TEST_RUN_ID ??= `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

export async function teardown(): Promise<void> {
  const runId = process.env.PORTCULLIS_TEST_RUN_ID;
  if (runId !== undefined) await dropRunSchemas(runId);
}
