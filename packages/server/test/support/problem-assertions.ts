/**
 * Assertions on RFC 9457 problem responses (API.md "Conventions"): the status, the stable `code`,
 * the problem content type, and nothing an attacker could learn from (stacks, SQL, secrets).
 */
import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string; code?: string }>;
}

/** Asserts that `response` is the problem `code` with `status`, and returns its body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string): ProblemJson {
  expect(response.statusCode, `expected ${status} ${code}, got ${response.body}`).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json\b/);
  const body = response.json<ProblemJson>();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  expect(response.body).not.toMatch(/\bat .+:\d+:\d+|stack|SQLITE|sqlite|select |insert into/i);
  return body;
}
