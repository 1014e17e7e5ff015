/**
 * The config file: found by PORTCULLIS_CONFIG or in the working directory, merged under the
 * environment, validated by the same schema, every problem named at once with the file and the
 * JSON pointer; and its published JSON Schema kept in step with the TypeBox schema.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import {
  CONFIG_FILE_NAME,
  type ConfigFile,
  closestSettingName,
  fileSettingNames,
  findConfigFile,
  locateConfigFile,
  readConfigFile,
  renderConfigFileSchema,
  settingSource,
} from "./config-file.js";

const STRONG_SECRET = "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-config-file-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeFile(content: unknown, name = CONFIG_FILE_NAME): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function refusal(env: Record<string, string>, file: ConfigFile | null): ConfigError {
  try {
    loadConfig(env, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("config file › where it is", () => {
  it("is PORTCULLIS_CONFIG when set, resolved against the working directory", () => {
    writeFile({}, "elsewhere.json");
    expect(locateConfigFile({ PORTCULLIS_CONFIG: "elsewhere.json" }, dir)).toBe(join(dir, "elsewhere.json"));
  });

  it("is portcullis.config.json in the working directory when there is one, else none", () => {
    expect(locateConfigFile({}, dir)).toBeNull();
    expect(findConfigFile({}, dir)).toBeNull();
    writeFile({});
    expect(locateConfigFile({}, dir)).toBe(join(dir, CONFIG_FILE_NAME));
  });

  it("refuses a PORTCULLIS_CONFIG that names no file, rather than starting on defaults", () => {
    const file = findConfigFile({ PORTCULLIS_CONFIG: "missing.json" }, dir);
    expect(refusal({}, file).problems).toEqual([
      `PORTCULLIS_CONFIG: ${join(dir, "missing.json")}: no such file`,
    ]);
  });
});

describe("config file › values and precedence", () => {
  it("supplies settings, with JSON numbers for integers and $schema allowed", () => {
    const path = writeFile({
      $schema: "./docs/portcullis.config.schema.json",
      PORT: 4100,
      PORTCULLIS_PUBLIC_URL: "https://auth.example.com/",
      PORTCULLIS_ACCESS_TOKEN_TTL: "5m",
    });
    const config = loadConfig({}, readConfigFile(path));
    expect(config.port).toBe(4100);
    expect(config.publicUrl).toBe("https://auth.example.com");
    expect(config.accessTokenTtlSeconds).toBe(300);
  });

  it("is overridden by the environment, setting by setting", () => {
    const file = readConfigFile(writeFile({ PORT: 4100, PORTCULLIS_ACCESS_TOKEN_TTL: "5m" }));
    const env = { PORT: "4200" };
    const config = loadConfig(env, file);
    expect(config.port).toBe(4200);
    expect(config.accessTokenTtlSeconds).toBe(300);
    expect(settingSource("PORT", env, file)).toBe("environment");
    expect(settingSource("PORTCULLIS_ACCESS_TOKEN_TTL", env, file)).toBe("file");
    expect(settingSource("PORTCULLIS_REFRESH_TOKEN_TTL", env, file)).toBe("default");
    expect(settingSource("REDIS_URL", env, file)).toBe("unset");
  });

  it("an environment value overriding a bad file value hides the file's problem", () => {
    const file = readConfigFile(writeFile({ PORT: "not a port" }));
    expect(loadConfig({ PORT: "4200" }, file).port).toBe(4200);
  });

  it("configures social-login providers by their variable names", () => {
    const file = readConfigFile(
      writeFile({
        PORTCULLIS_OAUTH_GOOGLE_CLIENT_ID: "client-from-file",
        PORTCULLIS_OAUTH_GOOGLE_CLIENT_SECRET: "secret-from-file",
      }),
    );
    const [provider] = loadConfig({}, file).oauthProviders;
    expect(provider).toMatchObject({
      id: "google",
      clientId: "client-from-file",
      clientSecret: "secret-from-file",
    });
  });
});

describe("config file › problems", () => {
  it("names every problem at once: file values by file and JSON pointer, environment values by variable", () => {
    const path = writeFile({
      PORT: "3000",
      PORTCULLIS_ACCESS_TOKEN_TTL: "15x",
      PORTCULLIS_SECRT: STRONG_SECRET,
      "odd/key~": 1,
    });
    const error = refusal({ PORTCULLIS_RATE_LIMIT: "lots" }, readConfigFile(path));
    const problems = error.problems;
    expect(problems).toContainEqual(
      `${path}#/PORTCULLIS_SECRT: unknown setting; did you mean PORTCULLIS_SECRET?`,
    );
    expect(problems).toContainEqual(`${path}#/odd~1key~0: unknown setting`);
    // A string where the schema (and so the JSON Schema) wants an integer: refused, not reinterpreted.
    expect(problems.some((problem) => problem.startsWith(`${path}#/PORT: Expected integer`))).toBe(true);
    expect(problems.some((problem) => problem.startsWith(`${path}#/PORTCULLIS_ACCESS_TOKEN_TTL: `))).toBe(
      true,
    );
    expect(problems.some((problem) => problem.startsWith("PORTCULLIS_RATE_LIMIT: "))).toBe(true);
    expect(problems).toHaveLength(5);
  });

  it("names policy problems by pointer too, and never repeats a secret", () => {
    const path = writeFile({ NODE_ENV: "production", PORTCULLIS_SECRET: "short-and-weak", SMTP_URL: "x" });
    const error = refusal({}, readConfigFile(path));
    expect(error.problems).toContainEqual(
      `${path}#/PORTCULLIS_SECRET: must be at least 32 characters long (e.g. \`openssl rand -base64 48\`)`,
    );
    expect(error.problems.some((problem) => problem.startsWith(`${path}#/SMTP_URL: `))).toBe(true);
    expect(error.message).not.toContain("short-and-weak");
  });

  it("reports a file that is not JSON, or not an object, by its path", () => {
    const notJson = writeFile("{ PORT: 3000 }");
    expect(refusal({}, readConfigFile(notJson)).problems[0]).toMatch(
      new RegExp(`^${notJson.replaceAll(/[.\\/]/g, "\\$&")}: not valid JSON`),
    );
    const array = writeFile([1, 2]);
    expect(refusal({}, readConfigFile(array)).problems).toEqual([
      `${array}: must hold a JSON object of settings`,
    ]);
  });

  it("refuses PORTCULLIS_CONFIG inside the file: it is named by the environment only", () => {
    const path = writeFile({ PORTCULLIS_CONFIG: "other.json" });
    expect(refusal({}, readConfigFile(path)).problems).toEqual([
      `${path}#/PORTCULLIS_CONFIG: names the file itself; set it in the environment only`,
    ]);
  });
});

describe("config file › likely typos", () => {
  it("suggests the closest known setting, and nothing for a name far from all", () => {
    expect(closestSettingName("PORTCULLIS_PUBLIC_ULR")).toBe("PORTCULLIS_PUBLIC_URL");
    expect(closestSettingName("portcullis_secret")).toBe("PORTCULLIS_SECRET");
    expect(closestSettingName("PORTCULLIS_FLUX_CAPACITOR")).toBeNull();
  });
});

describe("config file › JSON Schema", () => {
  it("docs/portcullis.config.schema.json is the rendering of the current schema", () => {
    const published = readFileSync(
      new URL("../../../../docs/portcullis.config.schema.json", import.meta.url),
      "utf8",
    );
    expect(published).toBe(renderConfigFileSchema());
  });

  it("names every file setting, closes the object to typos, and matches provider variables by pattern", () => {
    const schema = JSON.parse(renderConfigFileSchema()) as {
      properties: Record<string, unknown>;
      patternProperties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(["$schema", ...fileSettingNames()].sort());
    expect(schema.properties).not.toHaveProperty("PORTCULLIS_CONFIG");
    expect(schema.additionalProperties).toBe(false);
    const patterns = Object.keys(schema.patternProperties).map((pattern) => new RegExp(pattern));
    expect(patterns.some((pattern) => pattern.test("PORTCULLIS_OAUTH_GOOGLE_CLIENT_SECRET"))).toBe(true);
    expect(patterns.some((pattern) => pattern.test("PORTCULLIS_OAUTH_GOOGLE_CLIENT_SECRT"))).toBe(false);
  });
});
