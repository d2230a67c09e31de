import { defineConfig } from "vitest/config";

/** The operator console in headless Chromium (`npm run test:browser`); plain `npm test` needs no browser. */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 150_000,
    fileParallelism: false,
  },
});
