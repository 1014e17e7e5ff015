// What the middleware targets read from the environment: PORT, HOST (default 127.0.0.1),
// BENCH_ISSUER, BENCH_AUDIENCE and BENCH_JWKS_URL (served by the bench for the run).
export interface TargetConfig {
  port: number;
  host: string;
  issuer: string;
  audience: string;
  jwksUrl: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export function targetConfig(): TargetConfig {
  const port = Number(required("PORT"));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error("PORT must be a port number");
  return {
    port,
    host: process.env.HOST ?? "127.0.0.1",
    issuer: required("BENCH_ISSUER"),
    audience: required("BENCH_AUDIENCE"),
    jwksUrl: required("BENCH_JWKS_URL"),
  };
}
