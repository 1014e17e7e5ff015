/**
 * Outside production, a missing PORTCULLIS_SECRET is generated once and kept in the data folder,
 * so `npm start` works on a fresh clone and restarts keep the same signing keys usable.
 * Production never reaches this: `loadConfig` refuses to start without a strong secret.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, describeSecretWeakness } from "./config.js";

export const SECRET_FILE_NAME = "secret";

/** Returns `config` with a secret, loading or creating `<dataDir>/secret`. `announce` is told once, when one is created. */
export function ensureSecret(
  config: Config,
  announce: (message: string) => void,
): Config & { secret: string } {
  if (config.secret !== undefined) return config as Config & { secret: string };
  if (config.env === "production") throw new Error("PORTCULLIS_SECRET is required in production");
  const path = join(config.dataDir, SECRET_FILE_NAME);
  let secret: string;
  try {
    secret = readFileSync(path, "utf8").trim();
  } catch {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    secret = randomBytes(48).toString("base64url");
    // `wx`: never overwrite a secret another process wrote a moment ago.
    try {
      writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
      announce(
        `No PORTCULLIS_SECRET was set, so one was generated and saved in ${path}. Set PORTCULLIS_SECRET in production.`,
      );
    } catch {
      secret = readFileSync(path, "utf8").trim();
    }
  }
  const weakness = describeSecretWeakness(secret);
  if (weakness !== null)
    throw new Error(`The secret in ${path} ${weakness}; delete the file to generate a new one`);
  return Object.freeze({ ...config, secret });
}
