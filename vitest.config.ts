import { defineConfig } from "vitest/config";

// One run over every package's tests. `npm test` builds first, so tests that use a package
// through its published entry (the SDK tarball, the end-to-end runs) meet the real build.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
    // Forks, not threads: better-sqlite3 and child processes behave as in production.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"],
  },
});
