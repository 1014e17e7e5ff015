import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const MIDDLEWARE_SOURCE = fileURLToPath(new URL("./packages/middleware/src/", import.meta.url));
const TOKEN_VERIFIER_SOURCE = fileURLToPath(
  new URL("./packages/token-verifier/src/index.ts", import.meta.url),
);

const INTEGRATION = ["packages/*/test/**/*.test.ts"];
/** Suites about running many instances: only meaningful on PostgreSQL + Redis. */
const SCALE_OUT = ["packages/server/test/scale-out/**/*.test.ts"];
/** Pages in a real browser: thin adapters over the same services, so one store (SQLite) is enough. */
const BROWSER = ["packages/server/test/e2e/**/*.test.ts"];
/** The races on one in-process instance; on PostgreSQL + Redis they run across three (scale-out). */
const SINGLE_INSTANCE_RACES = ["packages/server/test/races/**/*.test.ts"];
/** The packed tarballs installed from scratch: needs `npm run build` first; `npm run test:packaging` (vitest.packaging.config.ts). */
const PACKAGING = ["packages/server/test/packaging/**/*.test.ts"];
/** The docs' runnable snippets: about the guides, not the store, so they run once (on SQLite). */
const DOCS_SNIPPETS = ["packages/server/test/integration/docs-snippets.test.ts"];
const PAGE_ASSETS = "./test-support/page-assets.ts";
const TOKEN_VERIFIER_BUILD = "./test-support/token-verifier-build.ts";
const SERVER_BUILD = "./test-support/server-build.ts";

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 1_000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

export default defineConfig(async (): Promise<ViteUserConfig> => {
  const [postgres, redis] = await Promise.all([listening(5432), listening(6379)]);
  const serversUp = postgres && redis;
  if (!serversUp) {
    const missing = [postgres ? null : "PostgreSQL (127.0.0.1:5432)", redis ? null : "Redis (127.0.0.1:6379)"]
      .filter((name) => name !== null)
      .join(" and ");
    if (process.env.CI === "true") throw new Error(`CI=true but ${missing} is not reachable`);
    console.warn(
      `\n!! ${missing} not reachable: the PostgreSQL + Redis run of the integration suite is SKIPPED.\n`,
    );
  }
  // `.ci/node24` runs the SQLite project again on Node 24, without the browser suites.
  const withoutBrowser = process.env.PORTCULLIS_TEST_WITHOUT_BROWSER === "1";
  if (withoutBrowser)
    console.warn("\n!! PORTCULLIS_TEST_WITHOUT_BROWSER=1: the browser suites (test/e2e) are not run.\n");
  // The suite runs many servers at once on a small machine: their hash threads keep the event
  // loop's priority (the default lowers it), so the other test processes cannot starve them.
  const env = { PORTCULLIS_HASH_NICENESS: "0" };
  const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: "forks", env } as const;
  return {
    // Tests import the workspace packages' TypeScript sources, so `npm test` needs no build first.
    resolve: {
      alias: [
        { find: /^@portcullis\/middleware$/, replacement: `${MIDDLEWARE_SOURCE}index.ts` },
        { find: /^@portcullis\/middleware\/(express|fastify)$/, replacement: `${MIDDLEWARE_SOURCE}$1.ts` },
        { find: /^@portcullis\/token-verifier$/, replacement: TOKEN_VERIFIER_SOURCE },
      ],
    },
    test: {
      reporters: ["default", "./test-support/summary-reporter.ts"],
      projects: [
        {
          extends: true as const,
          test: {
            ...shared,
            name: "sqlite",
            include: ["packages/*/src/**/*.test.{ts,tsx}", ...INTEGRATION],
            exclude: [...SCALE_OUT, ...PACKAGING, ...(withoutBrowser ? BROWSER : []), "**/node_modules/**"],
            globalSetup: [PAGE_ASSETS, TOKEN_VERIFIER_BUILD, SERVER_BUILD],
          },
        },
        ...(serversUp
          ? [
              {
                extends: true as const,
                test: {
                  ...shared,
                  name: "postgres+redis",
                  include: INTEGRATION,
                  exclude: [
                    ...BROWSER,
                    ...SINGLE_INSTANCE_RACES,
                    ...PACKAGING,
                    ...DOCS_SNIPPETS,
                    "**/node_modules/**",
                  ],
                  env: { ...env, PORTCULLIS_TEST_STORE: "postgres" },
                  globalSetup: [
                    PAGE_ASSETS,
                    TOKEN_VERIFIER_BUILD,
                    SERVER_BUILD,
                    "./test-support/postgres-schemas.ts",
                  ],
                },
              },
            ]
          : []),
      ],
    },
  };
});
