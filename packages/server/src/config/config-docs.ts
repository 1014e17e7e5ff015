/** Renders `docs/configuration.md`, the reference of every setting, from the schema itself. */
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

Portcullis reads its configuration once, at start, from the environment and from an optional
\`portcullis.config.json\` (\`PORTCULLIS_CONFIG\` names another path) whose keys are the same
variable names; the environment overrides the file (\`docs/config-file.md\`). Every wrong value is
reported at once, naming the variable (or the file and the JSON pointer), and the server refuses to
start. \`npm run cli -- config show\` prints the effective configuration and where each value came from.
This file is generated from \`packages/server/src/config/config-schema.ts\`
(\`npm run cli -- config docs > docs/configuration.md\`); a test keeps it in step.

${renderConfigurationTable()}

Durations are \`<n>s|m|h|d\`; rate limits \`<failures or requests>/<window>\` or \`off\`.
`;
}
