/**
 * Hashes and verifies passwords. New hashes are argon2id with the OWASP Password Storage Cheat
 * Sheet parameters (19 MiB, 2 passes, 1 lane; RFC 9106 §4 describes the trade-offs), stored as
 * self-describing PHC strings so parameters can be raised later and old hashes upgraded on the
 * next login. Hashes imported from other systems (bcrypt; PBKDF2 as Django, passlib, Auth0 or
 * Keycloak store it; scrypt; Firebase's scrypt: see `imported-password-hashes.ts`) are
 * verified, never created, and always reported as needing a rehash. Every hash computation goes
 * through one bounded queue: argon2 is deliberately expensive, so a login storm must wait in line (or be
 * told to retry) rather than exhaust memory and CPU and starve every other request. Passwords
 * arrive already normalised (see `normalizePassword`) and are hashed whole: nothing truncates.
 */

import { randomBytes } from "node:crypto";
import type { Algorithm, Options as Argon2Options, Version } from "@node-rs/argon2";
import { parseOptions as parseArgon2Options } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { ServiceBusyError } from "../errors.js";
import { createArgon2Threads } from "./argon2-threads.js";
import { identifyImportedHash, verifyImportedHash } from "./imported-password-hashes.js";

export interface PasswordHasherOptions {
  /** Hashes in flight at once (the server passes twice its hash threads: see `threads`). */
  maxConcurrent: number;
  /**
   * Hash threads (the server passes `os.availableParallelism()`); default `maxConcurrent`. With
   * fewer threads than hashes in flight, each thread is handed its next hash while it computes
   * one, so it never idles until a busy event loop gets round to passing it more work.
   */
  threads?: number;
  /** Calls allowed to wait beyond that; when full, calls throw `ServiceBusyError`. */
  maxQueued: number;
  /** argon2 memory in KiB; default 19456 (OWASP). */
  memoryCost?: number;
  /** argon2 passes; default 2 (OWASP). */
  timeCost?: number;
  /** argon2 lanes; default 1 (OWASP). */
  parallelism?: number;
  /**
   * `nice` increment of the hash threads (argon2-threads.ts); default 0, the event loop's own
   * priority (the server passes PORTCULLIS_HASH_NICENESS, 10 by default). Raised, a login storm
   * leaves the CPU to other requests first, but the hashes then also yield to every other busy
   * process on the machine.
   */
  threadNiceness?: number;
}

export interface VerifyOutcome {
  valid: boolean;
  /** True only when `valid` and the stored hash is bcrypt or uses other argon2 parameters. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  /** An argon2id PHC string of the whole password with the current parameters. */
  hash(password: string): Promise<string>;
  /**
   * Checks a password against a stored hash of any scheme `identifyPasswordHash` knows. An
   * unknown or garbled hash is `{ valid: false, needsRehash: false }`, never an exception. Throws `ServiceBusyError` when
   * the queue is full.
   */
  verify(storedHash: string, password: string): Promise<VerifyOutcome>;
  /** Spends the same work as verify() against a real argon2id hash, for unknown accounts (timing must not reveal existence). */
  verifyDummy(password: string): Promise<void>;
  /** True for an imported scheme (bcrypt, PBKDF2, Firebase scrypt), or argon2 with other parameters than the current ones. */
  needsRehash(storedHash: string): boolean;
}

/** OWASP Password Storage Cheat Sheet, argon2id first option: m=19 MiB, t=2, p=1. */
const OWASP_MEMORY_COST_KIB = 19456;
const OWASP_TIME_COST = 2;
const OWASP_PARALLELISM = 1;

// The package declares these as ambient `const enum`s, which have no run-time object and
// cannot be inlined under isolatedModules; the numbers are the ones its index.d.ts declares,
// and the member types make the compiler check them.
const ARGON2ID: Algorithm.Argon2id = 2;
const ARGON2_VERSION_0X13: Version.V0x13 = 1;
const ARGON2_OUTPUT_BYTES = 32;

const ARGON2_PREFIX = /^\$argon2(?:id|i|d)\$/;
// Modular crypt format: $2a$/$2b$/$2y$, two-digit cost, 22 characters of salt, 31 of hash.
const BCRYPT_FORMAT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

const BUSY_RETRY_AFTER_SECONDS = 1;

/** True for imported bcrypt hashes, which were made from the raw, un-normalised password. */
export function isBcryptHash(storedHash: string): boolean {
  return BCRYPT_FORMAT.test(storedHash);
}

export type PasswordHashScheme = "argon2" | "bcrypt" | "pbkdf2" | "scrypt" | "firebase-scrypt";

/**
 * The scheme of a stored hash after a syntax check, or null when `verify` could never match it
 * (what an import refuses).
 *
 * @example identifyPasswordHash("$2b$10$…") // "bcrypt"
 */
export function identifyPasswordHash(storedHash: string): PasswordHashScheme | null {
  if (ARGON2_PREFIX.test(storedHash)) {
    // The library's own parser checks every part (parameters, salt, digest length).
    try {
      parseArgon2Options(storedHash);
      return "argon2";
    } catch {
      return null;
    }
  }
  if (BCRYPT_FORMAT.test(storedHash)) return "bcrypt";
  return identifyImportedHash(storedHash);
}

/**
 * True for hashes another system made (bcrypt, PBKDF2, Firebase scrypt): from the password as
 * typed there, without our NFKC normalisation, so a login may try the raw input too.
 */
export function isImportedHash(storedHash: string): boolean {
  return BCRYPT_FORMAT.test(storedHash) || identifyImportedHash(storedHash) !== null;
}

interface WorkQueue {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * A counting semaphore with a bounded line. A released slot is handed straight to the oldest
 * waiter, so a newcomer cannot overtake the queue.
 */
function createWorkQueue(maxConcurrent: number, maxQueued: number): WorkQueue {
  let running = 0;
  const waiting: Array<() => void> = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  };

  return {
    async run(task) {
      // Everything before the first await runs synchronously, so the bound holds even when
      // many calls are made in one tick.
      if (running < maxConcurrent) {
        running++;
      } else if (waiting.length >= maxQueued) {
        throw new ServiceBusyError("Too many password hashes in progress", BUSY_RETRY_AFTER_SECONDS);
      } else {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

function validateOptions(options: Required<PasswordHasherOptions>): void {
  const problems: string[] = [];
  const isInteger = (value: number, min: number, max: number): boolean =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!isInteger(options.maxConcurrent, 1, 1_024)) problems.push("maxConcurrent must be an integer from 1");
  if (!isInteger(options.maxQueued, 0, 1_000_000)) problems.push("maxQueued must be an integer from 0");
  if (!isInteger(options.threads, 1, 1_024)) problems.push("threads must be an integer from 1");
  if (!isInteger(options.parallelism, 1, 255)) problems.push("parallelism must be an integer from 1 to 255");
  // RFC 9106 §3.1: memory must be at least 8 KiB per lane.
  if (!isInteger(options.memoryCost, 8 * Math.max(1, options.parallelism), 2 ** 32 - 1)) {
    problems.push("memoryCost must be an integer of at least 8 × parallelism KiB");
  }
  if (!isInteger(options.timeCost, 1, 2 ** 32 - 1)) problems.push("timeCost must be an integer from 1");
  if (problems.length > 0) throw new Error(`Invalid password hasher options: ${problems.join("; ")}`);
}

/** Turns a library error on a hash it cannot read into a value, so verify() never throws for it. */
async function settle(check: () => Promise<boolean>): Promise<boolean | "unreadable"> {
  try {
    return await check();
  } catch {
    return "unreadable";
  }
}

/**
 * Builds the password hasher.
 *
 * @example
 * const hasher = createPasswordHasher({ maxConcurrent: availableParallelism(), maxQueued: 64 });
 * const stored = await hasher.hash(normalizePassword(input));
 * const { valid, needsRehash } = await hasher.verify(stored, normalizePassword(input));
 */
export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const settings: Required<PasswordHasherOptions> = {
    maxConcurrent: options.maxConcurrent,
    maxQueued: options.maxQueued,
    threads: options.threads ?? options.maxConcurrent,
    threadNiceness: options.threadNiceness ?? 0,
    memoryCost: options.memoryCost ?? OWASP_MEMORY_COST_KIB,
    timeCost: options.timeCost ?? OWASP_TIME_COST,
    parallelism: options.parallelism ?? OWASP_PARALLELISM,
  };
  validateOptions(settings);

  const argon2Options: Argon2Options = {
    algorithm: ARGON2ID,
    version: ARGON2_VERSION_0X13,
    memoryCost: settings.memoryCost,
    timeCost: settings.timeCost,
    parallelism: settings.parallelism,
    outputLen: ARGON2_OUTPUT_BYTES,
  };
  // Hash threads of their own, off libuv's pool (argon2-threads.ts); each takes the least loaded.
  const argon2 = createArgon2Threads({ threads: settings.threads, niceness: settings.threadNiceness });
  const queue = createWorkQueue(settings.maxConcurrent, settings.maxQueued);
  const argon2Hash = (password: string | Uint8Array) => argon2.hash(password, argon2Options);
  const argon2Verify = (storedHash: string, password: string) => argon2.verify(storedHash, password);
  let dummyHash: Promise<string> | undefined;

  // A hash made with the current parameters starts with exactly this (and its digest is 43
  // characters of unpadded base64, 32 bytes): the answer for nearly every login, without parsing.
  const currentPrefix = `$argon2id$v=19$m=${settings.memoryCost},t=${settings.timeCost},p=${settings.parallelism}$`;
  const needsRehash = (storedHash: string): boolean => {
    if (storedHash.startsWith(currentPrefix) && storedHash.length - storedHash.lastIndexOf("$") === 44)
      return false;
    if (isImportedHash(storedHash)) return true;
    if (!ARGON2_PREFIX.test(storedHash)) return false;
    try {
      const used = parseArgon2Options(storedHash);
      return (
        used.algorithm !== ARGON2ID ||
        used.version !== ARGON2_VERSION_0X13 ||
        used.memoryCost !== settings.memoryCost ||
        used.timeCost !== settings.timeCost ||
        used.parallelism !== settings.parallelism ||
        used.outputLen !== ARGON2_OUTPUT_BYTES
      );
    } catch {
      // Unreadable: no password can match it, so there is nothing to upgrade.
      return false;
    }
  };

  const verifyDummy = async (password: string): Promise<void> => {
    if (dummyHash === undefined) {
      // Random bytes nobody knows, so no password can ever match the dummy.
      const pending = queue.run(() => argon2Hash(randomBytes(32)));
      dummyHash = pending;
      pending.catch(() => {
        if (dummyHash === pending) dummyHash = undefined;
      });
      // Computing the hash costs what one verification costs, so this first call does not
      // stand out either.
      await pending;
      return;
    }
    const hash = await dummyHash;
    await queue.run(() => settle(() => argon2Verify(hash, password)));
  };

  const verify = async (storedHash: string, password: string): Promise<VerifyOutcome> => {
    let result: boolean | "unreadable" = "unreadable";
    if (ARGON2_PREFIX.test(storedHash)) {
      result = await queue.run(() => settle(() => argon2Verify(storedHash, password)));
    } else if (BCRYPT_FORMAT.test(storedHash)) {
      // bcrypt only reads the first 72 bytes of a password, so two long passwords sharing
      // those bytes match the same bcrypt hash. That is why imported bcrypt hashes always
      // report needsRehash: the caller replaces them with argon2id on the first good login.
      result = await queue.run(() => settle(() => bcrypt.compare(password, storedHash)));
    } else if (identifyImportedHash(storedHash) !== null) {
      // PBKDF2 and Firebase's scrypt: as costly as the system that made them chose; always upgraded.
      result = await queue.run(() =>
        settle(async () => (await verifyImportedHash(storedHash, password)) === true),
      );
    }
    if (result === "unreadable") {
      // A broken hash still costs a full verification, so it is indistinguishable by timing
      // from a wrong password or an unknown account.
      await verifyDummy(password);
      return { valid: false, needsRehash: false };
    }
    return { valid: result, needsRehash: result && needsRehash(storedHash) };
  };

  return {
    hash: (password) => queue.run(() => argon2Hash(password)),
    verify,
    verifyDummy,
    needsRehash,
  };
}
