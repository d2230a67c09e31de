import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Vitest's default on two cores is one file at a time; a test file mostly waits (workerd start-up, the
    // database, hashing in another process), so two at once use the machine's second core.
    maxWorkers: 2,
    // What a passing test printed is not shown (suites provoke failures on purpose, and the Worker logs them);
    // a failing test's output is.
    silent: "passed-only",
    projects: [
      {
        // Unit and integration suites run inside workerd, against the Worker's real bindings.
        plugins: [
          // The function form runs after globalSetup, so the database it started reaches the bindings.
          cloudflareTest(async ({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Never written to: stands in for a bucket where nothing has been published.
              r2Buckets: { EMPTY_BUCKET: "finedge-test-empty" },
              bindings: {
                ENVIRONMENT: "test",
                LOG_LEVEL: "error",
                // One workerd isolate runs every concurrent request of a test (production spreads them):
                // fifty simultaneous password hashes queue behind each other, so the deadline is generous here.
                REQUEST_TIMEOUT_MS: "120000",
                // Suites sign up and sign in far more often than a person would; rate-limit tests set 1.
                RATE_LIMIT_SCALE: "1000",
                // Two test files run at once on a small machine, each hashing passwords in its one isolate:
                // a limiter check can wait seconds for the CPU without the limiter being down.
                RATE_LIMIT_TIMEOUT_MS: "10000",
                // The same scrypt at 2^10 instead of 2^14: the suites sign up thousands of accounts (the
                // production cost is held by test/unit/auth/passwords.test.ts and refused outside a test run).
                PASSWORD_HASH_LOG2_N: "10",
                // Files of a few thousand rows split into several chunks (production's default is larger).
                BULK_CHUNK_ROWS: "500",
                WS_RELAY: inject("wsRelay"),
                SQL_HTTP_ENDPOINT: inject("sqlHttpEndpoint"),
                DATABASE_URL: inject("databaseUrl"),
                JWT_SIGNING_KEYS: inject("signingKeys"),
                SECRETS_ENCRYPTION_KEYS: inject("encryptionKeys"),
                BACKUP_CODE_PEPPER: inject("backupCodePepper"),
                // The stand-in verification provider (test/setup/identity-provider.ts).
                IDV_PROVIDER_URL: inject("identityProvider").url,
                IDV_PROVIDER_API_KEY: inject("identityProvider").apiKey,
                IDV_WEBHOOK_SECRETS: inject("identityProvider").webhookSecret,
                // Federated sign-in: "Google" and "Microsoft" are clients of the local OpenID provider
                // (test/setup/openid-provider.ts); GitHub is test/setup/github-server.ts.
                GOOGLE_ISSUER: inject("openIdProvider").issuer,
                GOOGLE_CLIENT_ID: inject("openIdProvider").google.clientId,
                GOOGLE_CLIENT_SECRET: inject("openIdProvider").google.clientSecret,
                MICROSOFT_ISSUER: inject("openIdProvider").issuer,
                MICROSOFT_CLIENT_ID: inject("openIdProvider").microsoft.clientId,
                MICROSOFT_CLIENT_SECRET: inject("openIdProvider").microsoft.clientSecret,
                GITHUB_URL: inject("gitHub").url,
                GITHUB_API_URL: inject("gitHub").url,
                GITHUB_CLIENT_ID: inject("gitHub").clientId,
                GITHUB_CLIENT_SECRET: inject("gitHub").clientSecret,
                // Only with TEST_REDIS_URL: without them the Worker counts rate limits in its Durable Object.
                ...(inject("upstashUrl")
                  ? {
                      UPSTASH_REDIS_REST_URL: inject("upstashUrl"),
                      UPSTASH_REDIS_REST_TOKEN: inject("upstashToken"),
                    }
                  : {}),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/integration/**/*.test.ts", "test/security/**/*.test.ts"],
          globalSetup: ["./test/setup/global-setup.ts"],
          // The files share one workerd and module graph per worker: a fresh runtime per file cost more than
          // most files' tests (4.4 minutes against 2.8 for the whole run). Suites must not rely on per-file
          // state; they call the app directly (`call` in helpers.ts), since calls through the runtime's entry
          // slow down as a runtime serves more of them.
          isolate: false,
          testTimeout: 30_000,
        },
      },
      {
        // Unit suites: the services, the engine and the renderers inside workerd, without the Worker's bindings.
        // They keep no state between files, so one runtime and one module graph serve them all: per file, a
        // fresh workerd costs more than the file's tests.
        plugins: [
          cloudflareTest({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ENVIRONMENT: "test", LOG_LEVEL: "error" } },
          }),
        ],
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          globalSetup: ["./test/setup/unit-setup.ts"],
          isolate: false,
          maxWorkers: 1,
          // A project with its own worker count runs as its own group, after the others.
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The Node-side local runtime (relay, dev launcher) is tested in Node.
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
