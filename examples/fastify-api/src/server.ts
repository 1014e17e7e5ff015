/**
 * Starts the Fastify example from the environment (see README.md beside this folder):
 *   PORTCULLIS_ISSUER=http://localhost:3000 PORT=4000 node --import tsx examples/fastify-api/src/server.ts
 */
import { createFastifyExample, type ExampleConfig } from "./app.js";

const env = (name: string) =>
  process.env[name] === undefined || process.env[name] === "" ? undefined : process.env[name];
const issuer = env("PORTCULLIS_ISSUER");
if (issuer === undefined) throw new Error("PORTCULLIS_ISSUER (Portcullis's public URL) is required");
const when = env("REVOCATIONS_WHEN_UNAVAILABLE");
if (when !== undefined && when !== "accept" && when !== "refuse")
  throw new Error('REVOCATIONS_WHEN_UNAVAILABLE must be "accept" or "refuse"');
const config: ExampleConfig = {
  issuer,
  audience: env("PORTCULLIS_AUDIENCE") ?? issuer,
  portcullisUrl: (env("PORTCULLIS_URL") ?? issuer).replace(/\/+$/, ""),
  onError: (error, context) =>
    console.warn(`${context}: ${error instanceof Error ? error.message : String(error)}`),
};
for (const [name, field] of [
  ["PORTCULLIS_INTROSPECT_KEY", "introspectionKey"],
  ["REDIS_URL", "redisUrl"],
  ["PORTCULLIS_REDIS_PREFIX", "redisPrefix"],
] as const) {
  const value = env(name);
  if (value !== undefined) config[field] = value;
}
if (when !== undefined) config.whenRevocationsUnavailable = when;

const service = createFastifyExample(config);
await service.ready();
const url = await service.listen(Number(env("PORT") ?? 4000));
console.log(`fastify example listening on ${url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void service.close().then(() => process.exit(0)));
}
