/**
 * The settings of secret rotation, the metrics listener and the refresh grace window: parsed once,
 * refused with every problem named, and never echoing a secret or a token in an error.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

const CURRENT = "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_";
const OLD_ONE = "Zr3mB8qWx1LpV6tKc9NfH2jD5sYg0AeUoTiPrXzQwEvBnMkSlCjDhGfIaO4u7y";
const OLD_TWO = "Kd7wQ2nVx9LpR4tZc1MfH6jB3sYg8AeUoTiPrXzQwEvBnMkSlCjDhGfIaO0u5y";

describe("loadConfig › PORTCULLIS_SECRET_PREVIOUS", () => {
  it("is empty by default", () => {
    expect(loadConfig({}).previousSecrets).toEqual([]);
  });

  it.each([
    ["commas", `${OLD_ONE},${OLD_TWO}`],
    ["spaces", `${OLD_ONE} ${OLD_TWO}`],
    ["commas, spaces and newlines", ` ${OLD_ONE} ,\n ${OLD_TWO} `],
  ])("reads several secrets separated by %s, in order", (_how, value) => {
    expect(loadConfig({ PORTCULLIS_SECRET_PREVIOUS: value }).previousSecrets).toEqual([OLD_ONE, OLD_TWO]);
  });

  it("drops repeats and the current secret itself", () => {
    const config = loadConfig({
      PORTCULLIS_SECRET: CURRENT,
      PORTCULLIS_SECRET_PREVIOUS: `${OLD_ONE},${CURRENT},${OLD_ONE}`,
    });
    expect(config.previousSecrets).toEqual([OLD_ONE]);
  });

  it("refuses a weak previous secret by position, never repeating any secret's value", () => {
    const error = refusal({ PORTCULLIS_SECRET_PREVIOUS: `${OLD_ONE},hunter2-hunter2` });
    expect(namedVariables(error)).toEqual(["PORTCULLIS_SECRET_PREVIOUS"]);
    expect(error.message).toContain("secret 2");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain(OLD_ONE);
  });
});

describe("loadConfig › PORTCULLIS_REFRESH_GRACE", () => {
  it.each([
    ["0", 0],
    ["2s", 2000],
    ["500ms", 500],
    ["60s", 60_000],
  ])("reads %s as %i ms", (value, ms) => {
    expect(loadConfig({ PORTCULLIS_REFRESH_GRACE: value }).refreshGraceMs).toBe(ms);
  });

  it.each(["61s", "2m", "-1s", "1.5s", "2", "0s", "off"])("refuses %s, naming the variable", (value) => {
    expect(namedVariables(refusal({ PORTCULLIS_REFRESH_GRACE: value }))).toEqual([
      "PORTCULLIS_REFRESH_GRACE",
    ]);
  });
});

describe("loadConfig › metrics", () => {
  it("reads the metrics listener and token", () => {
    const token = "m3tr1cs-Token-9bNc3HfJ6dYg1AeUoTiPrXzQ";
    const config = loadConfig({
      PORTCULLIS_METRICS_PORT: "9464",
      PORTCULLIS_METRICS_HOST: "10.0.0.5",
      PORTCULLIS_METRICS_TOKEN: token,
    });
    expect(config.metrics).toEqual({ port: 9464, host: "10.0.0.5", token });
  });

  it("refuses a metrics port equal to PORT", () => {
    expect(namedVariables(refusal({ PORT: "8080", PORTCULLIS_METRICS_PORT: "8080" }))).toEqual([
      "PORTCULLIS_METRICS_PORT",
    ]);
  });

  it("refuses a weak metrics token without repeating it", () => {
    const error = refusal({ PORTCULLIS_METRICS_TOKEN: "scrape-me" });
    expect(namedVariables(error)).toEqual(["PORTCULLIS_METRICS_TOKEN"]);
    expect(error.message).not.toContain("scrape-me");
  });
});
