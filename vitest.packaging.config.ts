/**
 * `npm run test:packaging`: the packed tarballs (`npm pack`) installed into an empty folder and
 * run from there, as a user or the Dockerfile installs them. Kept out of `npm test` because it
 * needs `npm run build` first and installs from the registry (or npm's cache).
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/server/test/packaging/**/*.test.ts"],
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
  },
});
