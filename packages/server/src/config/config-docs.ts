/** Renders the configuration table of `docs/configuration.md` (and the README) from the schema itself. */
import type { TSchema } from "@sinclair/typebox";
import { ConfigSchema, OAuthProviderConfigSchema } from "./config-schema.js";

function describeType(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as TSchema[]).map((option) => `\`${String(option.const)}\``).join(", ");
  }
  if (schema.type === "integer") return "integer";
  return "string";
}

export function renderConfigurationTable(): string {
  const properties = { ...ConfigSchema.properties, ...OAuthProviderConfigSchema.properties };
  const rows = Object.entries(properties).map(([name, schema]: [string, TSchema]) => {
    const fallback = schema.default === undefined ? "—" : `\`${String(schema.default)}\``;
    const description = String(schema.description ?? "").replaceAll("|", "\\|");
    return `| \`${name}\` | ${describeType(schema)} | ${fallback} | ${description} |`;
  });
  return ["| variable | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

export function renderConfigurationDoc(): string {
  return `# Configuration

Portcullis reads its configuration from the environment once, at start. Every wrong value is
reported at once, naming the variable, and the server refuses to start.
This file is generated from \`packages/server/src/config/config-schema.ts\`
(\`npm run cli -- config docs > docs/configuration.md\`); a test keeps it in step.

${renderConfigurationTable()}
`;
}
