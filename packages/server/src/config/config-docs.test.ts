/**
 * The configuration docs are generated from the schema; this keeps the committed
 * docs/configuration.md and the README's table from drifting away from the code.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigurationDoc } from "./config-docs.js";
import { ConfigSchema, OAuthProviderConfigSchema } from "./config-schema.js";

const repositoryFile = (path: string) =>
  readFileSync(new URL(`../../../../${path}`, import.meta.url), "utf8");

describe("configuration docs", () => {
  it("docs/configuration.md is the rendering of the current schema", () => {
    expect(repositoryFile("docs/configuration.md")).toBe(renderConfigurationDoc());
  });

  it("the README names every variable", () => {
    const readme = repositoryFile("README.md");
    const names = [
      ...Object.keys(ConfigSchema.properties),
      ...Object.keys(OAuthProviderConfigSchema.properties),
    ];
    const missing = names.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
