/** Helpers shared by the configuration tests. */
import { type Config, ConfigError, loadConfig } from "./config.js";

/** The `ConfigError` that `env` must cause; fails the test when the configuration is accepted. */
export function refusal(env: Record<string, string>): ConfigError {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected the configuration to be refused, got ${JSON.stringify(config)}`);
}

/** The variable names a refusal names, in order. */
export const namedVariables = (error: ConfigError) => error.problems.map((problem) => problem.split(":")[0]);
