/**
 * The configuration docs are generated from the schema; this keeps the committed
 * docs/configuration.md from drifting away from the code, and makes sure no setting lives only in
 * that generated table: each one is explained in a guide, where it is used.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigurationDoc } from "./config-docs.js";
import { ConfigSchema, OAuthProviderConfigSchema } from "./config-schema.js";

const DOCS = new URL("../../../../docs/", import.meta.url);
const GENERATED_REFERENCE = "configuration.md";

const docsFile = (name: string) => readFileSync(new URL(name, DOCS), "utf8");

describe("configuration docs", () => {
  it("docs/configuration.md is the rendering of the current schema", () => {
    expect(docsFile(GENERATED_REFERENCE)).toBe(renderConfigurationDoc());
  });

  it("the guides in docs/ name every setting, besides the generated reference", () => {
    const guides = readdirSync(DOCS)
      .filter((name) => name.endsWith(".md") && name !== GENERATED_REFERENCE)
      .map(docsFile)
      .join("\n");
    const names = [
      ...Object.keys(ConfigSchema.properties),
      ...Object.keys(OAuthProviderConfigSchema.properties),
    ];
    // Named as code: `NAME`, or `NAME=value` in an example.
    const missing = names.filter((name) => !guides.includes(`\`${name}\``) && !guides.includes(`\`${name}=`));
    expect(missing).toEqual([]);
  });
});
