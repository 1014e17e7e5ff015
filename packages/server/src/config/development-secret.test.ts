import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Config, describeSecretWeakness, loadConfig } from "./config.js";
import { ensureSecret, SECRET_FILE_NAME } from "./development-secret.js";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "portcullis-secret-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const developmentConfig = (dataDir: string, env: Record<string, string> = {}): Config =>
  loadConfig({ NODE_ENV: "development", PORTCULLIS_DATA_DIR: dataDir, ...env });

describe("ensureSecret", () => {
  it("generates a strong secret into <dataDir>/secret, readable by the owner only, and announces it once", () => {
    const dataDir = join(root, "data");
    const announce = vi.fn<(message: string) => void>();

    const config = ensureSecret(developmentConfig(dataDir), announce);

    const path = join(dataDir, SECRET_FILE_NAME);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8").trim()).toBe(config.secret);
    expect(describeSecretWeakness(config.secret)).toBeNull();
    expect(announce).toHaveBeenCalledTimes(1);
    expect(announce.mock.calls[0]?.[0]).toContain(path);
    expect(announce.mock.calls[0]?.[0]).not.toContain(config.secret);
  });

  it("creates a missing data folder that only its owner can enter", () => {
    const dataDir = join(root, "nested", "data");

    ensureSecret(developmentConfig(dataDir), () => {});

    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it("reuses the saved secret on the next call and does not announce it again", () => {
    const dataDir = join(root, "data");
    const announce = vi.fn<(message: string) => void>();

    const first = ensureSecret(developmentConfig(dataDir), announce);
    const second = ensureSecret(developmentConfig(dataDir), announce);

    expect(second.secret).toBe(first.secret);
    expect(announce).toHaveBeenCalledTimes(1);
  });

  it("gives two data folders two different secrets", () => {
    const one = ensureSecret(developmentConfig(join(root, "one")), () => {});
    const two = ensureSecret(developmentConfig(join(root, "two")), () => {});

    expect(one.secret).not.toBe(two.secret);
  });

  it("keeps a configured secret and writes nothing", () => {
    const dataDir = join(root, "data");
    const configured = developmentConfig(dataDir, {
      PORTCULLIS_SECRET: "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQ",
    });
    const announce = vi.fn<(message: string) => void>();

    const config = ensureSecret(configured, announce);

    expect(config.secret).toBe("q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQ");
    expect(existsSync(join(dataDir, SECRET_FILE_NAME))).toBe(false);
    expect(announce).not.toHaveBeenCalled();
  });

  it("never generates a secret in production", () => {
    const dataDir = join(root, "data");
    const production: Config = { ...developmentConfig(dataDir), env: "production" };

    expect(() => ensureSecret(production, () => {})).toThrow(/PORTCULLIS_SECRET/);
    expect(existsSync(join(dataDir, SECRET_FILE_NAME))).toBe(false);
  });

  it("returns a frozen configuration that otherwise equals the one it was given", () => {
    const given = developmentConfig(join(root, "data"));

    const config = ensureSecret(given, () => {});

    expect(Object.isFrozen(config)).toBe(true);
    expect({ ...config, secret: undefined }).toEqual({ ...given, secret: undefined });
  });

  it("refuses a secret file left empty rather than deriving keys from an empty secret", () => {
    const dataDir = join(root, "data");
    ensureSecret(developmentConfig(dataDir), () => {});
    writeFileSync(join(dataDir, SECRET_FILE_NAME), "\n");

    expect(() => ensureSecret(developmentConfig(dataDir), () => {})).toThrow(/secret/i);
  });
});
