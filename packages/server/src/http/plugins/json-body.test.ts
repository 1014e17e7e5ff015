import { describe, expect, it } from "vitest";
import { ProblemError } from "../problem.js";
import { MAX_BODY_DEPTH, parseJsonBody } from "./json-body.js";

/** The ProblemError `parseJsonBody(text)` throws; fails the test when it parses. */
function problemFor(text: string): ProblemError {
  try {
    parseJsonBody(text);
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("parseJsonBody › accepted bodies", () => {
  it("parses a JSON object into a plain object", () => {
    const body = parseJsonBody('{"email":"a@example.com","nested":{"list":[1,"two",null]}}');

    expect(body).toEqual({ email: "a@example.com", nested: { list: [1, "two", null] } });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
  });

  it("allows the forbidden words as values and inside longer keys", () => {
    expect(
      parseJsonBody('{"name":"__proto__","note":"constructor prototype","constructorName":"x"}'),
    ).toEqual({
      name: "__proto__",
      note: "constructor prototype",
      constructorName: "x",
    });
  });
});

describe("parseJsonBody › refused bodies", () => {
  it.each(["", "   ", "\n\t"])("answers malformed_body for an empty body (%j)", (text) => {
    const problem = problemFor(text);
    expect(problem.code).toBe("malformed_body");
    expect(problem.status).toBe(400);
  });

  it.each(['{"email":', "{'email':'a'}", '{"a":1,}', "undefined", '{"a":1}{"b":2}'])(
    "answers malformed_body for text that is not JSON (%j)",
    (text) => {
      expect(problemFor(text).code).toBe("malformed_body");
    },
  );

  it("does not echo the body back in the error", () => {
    const problem = problemFor('{"password":"hunter2-correct-horse"');
    expect(problem.message).not.toContain("hunter2");
    expect(JSON.stringify(problem.options)).not.toContain("hunter2");
  });

  it.each([
    ["__proto__ at the top", '{"__proto__":{"roles":["admin"]}}', "__proto__"],
    ["constructor at the top", '{"constructor":{"admin":true}}', "constructor"],
    ["prototype at the top", '{"prototype":1}', "prototype"],
    ["__proto__ nested", '{"profile":{"__proto__":{"admin":true}}}', "__proto__"],
    ["__proto__ inside an array", '{"items":[{"__proto__":{"admin":true}}]}', "__proto__"],
  ])("refuses a body with %s as validation_failed", (_where, text, key) => {
    const problem = problemFor(text);
    expect(problem.code).toBe("validation_failed");
    expect(problem.status).toBe(400);
    expect(problem.options.errors).toEqual([
      expect.objectContaining({ detail: expect.stringContaining(key) }),
    ]);
  });

  it.each([
    ["__proto__", '{"\\u005f_proto__":{"roles":["admin"]}}'],
    ["constructor", '{"construct\\u006fr":{"admin":true}}'],
    ["prototype", '{"pr\\u006ftotype":1}'],
  ])("refuses %s when the key is spelled with JSON escapes", (_key, text) => {
    expect(problemFor(text).code).toBe("validation_failed");
  });

  it("never changes Object.prototype, whatever the body", () => {
    for (const text of [
      '{"__proto__":{"polluted":true}}',
      '{"\\u005f_proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
    ]) {
      try {
        const body = parseJsonBody(text);
        Object.assign({}, body);
      } catch {
        // refused: that is fine too
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseJsonBody › U+0000", () => {
  // PostgreSQL refuses U+0000 in text: a name holding one was a 500 there (found by the fuzzer).
  it.each([
    ["a name", '{"name":"a\\u0000b"}', "name"],
    ["a nested value", '{"profile":{"bio":"\\u0000"}}', "bio"],
    ["an array item", '{"roles":["user","\\u0000admin"]}', "1"],
  ])("refuses %s holding U+0000 as validation_failed", (_where, text, key) => {
    const problem = problemFor(text);
    expect(problem.code).toBe("validation_failed");
    expect(problem.options.errors).toEqual([
      expect.objectContaining({ detail: expect.stringContaining(`"${key}"`) }),
    ]);
  });

  it("lets a password hold any character, U+0000 included: it is only ever hashed", () => {
    expect(
      parseJsonBody('{"password":"a\\u0000b","currentPassword":"\\u0000","newPassword":"x\\u0000"}'),
    ).toEqual({
      password: "a\u0000b",
      currentPassword: "\u0000",
      newPassword: "x\u0000",
    });
  });
});

describe("parseJsonBody › nesting", () => {
  const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}1${"]".repeat(depth - 1)}}`;

  it("takes a body nested as deep as the limit", () => {
    expect(() => parseJsonBody(nested(MAX_BODY_DEPTH))).not.toThrow();
  });

  it("refuses one level deeper as validation_failed", () => {
    expect(problemFor(nested(MAX_BODY_DEPTH + 1)).code).toBe("validation_failed");
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(parseJsonBody(`{"a":"${"[".repeat(100)}\\"${"{".repeat(100)}"}`)).toEqual({
      a: `${"[".repeat(100)}"${"{".repeat(100)}`,
    });
  });
});
