import { z } from "zod";
import type { Bindings } from "./env";
import { keyRingSetting } from "./services/crypto/key-ring";

const csv = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "staging", "production"]).default("development"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    CORS_ORIGINS: csv.pipe(z.array(z.url({ protocol: /^https?$/ }))),
    MAX_BODY_BYTES: positiveInt(10 * 1024 * 1024),
    REQUEST_TIMEOUT_MS: positiveInt(30_000),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    WS_RELAY: z.string().min(1).optional(),
    /**
     * The connection string reads and single-batch work use over Neon's SQL-over-HTTP endpoint: Neon's
     * pooled host. Defaults to `DATABASE_URL`. A secret.
     */
    DATABASE_HTTP_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /** Local only: the SQL-over-HTTP server standing in for Neon's endpoint (`tools/sql-over-http.ts`). */
    SQL_HTTP_ENDPOINT: z.url({ protocol: /^http$/ }).optional(),
    /** JSON array of private Ed25519 JWKs, current first (src/services/auth/keys.ts). A secret. */
    JWT_SIGNING_KEYS: z.string().min(2).optional(),
    /**
     * AES-256-GCM key ring for secrets at rest (TOTP secrets, e-mail bodies): `{"current": kid, "keys":
     * {kid: base64}}` (src/services/crypto/key-ring.ts). A secret.
     */
    SECRETS_ENCRYPTION_KEYS: keyRingSetting("SECRETS_ENCRYPTION_KEYS").optional(),
    /** The HMAC pepper ring backup codes are hashed under; same shape. A secret. */
    BACKUP_CODE_PEPPER: keyRingSetting("BACKUP_CODE_PEPPER").optional(),
    JWT_ISSUER: z.string().min(1).default("https://api.finedge.local"),
    JWT_AUDIENCE: z.string().min(1).default("finedge-api"),
    /** Base URL for links in e-mails (verification, reset, magic link). */
    APP_URL: z.url().default("http://127.0.0.1:8787"),
    LOCKOUT_THRESHOLD: positiveInt(5),
    LOCKOUT_SECONDS: positiveInt(3600),
    LOCKOUT_WINDOW_SECONDS: positiveInt(3600),
    EMAIL_API_KEY: z.string().min(1).optional(),
    EMAIL_FROM: z.string().min(3).default("FinEdge <security@finedge.local>"),
    EMAIL_ENDPOINT: z.url().optional(),
    /** Upstash Redis for rate limits; without it a Durable Object keeps the same limits. */
    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    /**
     * Which limiter counts: `auto` (Upstash when configured, else the Durable Object), one of them
     * explicitly, or `off` - local only, so the benchmark can measure what the check costs.
     */
    RATE_LIMIT_BACKEND: z.enum(["auto", "upstash", "durable_object", "off"]).default("auto"),
    /** A tenant's authenticated requests per minute, across all its users and keys, unless its quotas say otherwise. */
    TENANT_REQUESTS_PER_MINUTE: positiveInt(6000),
    /**
     * How long a rate-limit check may take before the limiter counts as down (fail-closed endpoints then
     * answer 503, the rest go on). A test run raises it: its one isolate hashes many passwords at once.
     */
    RATE_LIMIT_TIMEOUT_MS: positiveInt(1000),
    /**
     * log2 of scrypt's N for new password hashes: 14 (OWASP's N=2^14, r=8, p=5). Only a test run may lower
     * it (10-13), to sign up thousands of accounts quickly; stored hashes carry their own parameters.
     */
    PASSWORD_HASH_LOG2_N: z.coerce.number().int().min(10).max(14).default(14),
    /** Multiplies every per-minute limit (e.g. 100 for a load test); 1 in production. */
    RATE_LIMIT_SCALE: z.coerce.number().positive().default(1),
    /** A trade without a price takes the latest stored one only if it is at most this old. */
    PRICE_STALENESS_SECONDS: positiveInt(15 * 60),
    /** The quote provider (Alpha Vantage's GLOBAL_QUOTE shape); the cron refreshes prices when all three are set. */
    PRICE_FEED_URL: z.url({ protocol: /^https?$/ }).optional(),
    PRICE_FEED_API_KEY: z.string().min(1).optional(),
    /** Provider tickers the feed may fetch (each run asks once per ticker that some tenant's asset follows). */
    PRICE_FEED_SYMBOLS: csv,
    /**
     * The identity-verification provider (document and selfie checks): its API's base URL, the key it is
     * called with (a secret) and the secrets its callbacks are signed with (a secret; comma-separated, current
     * first, while the provider rotates). Verification is off until all three are set.
     */
    IDV_PROVIDER_URL: z.url({ protocol: /^https?$/ }).optional(),
    IDV_PROVIDER_API_KEY: z.string().min(1).optional(),
    IDV_WEBHOOK_SECRETS: csv.pipe(z.array(z.string().min(16))),
    /**
     * Federated sign-in's providers, each on when its client id and secret (a secret) are set. Google and
     * Microsoft are discovered from their issuer (Microsoft's is the directory's own:
     * `https://login.microsoftonline.com/<tenant id>/v2.0`); GitHub's sign-in and API hosts are settable too.
     */
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_ISSUER: z.url({ protocol: /^https?$/ }).default("https://accounts.google.com"),
    MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
    MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
    MICROSOFT_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    GITHUB_URL: z.url({ protocol: /^https?$/ }).default("https://github.com"),
    GITHUB_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.github.com"),
    /** How long a webhook receiver has to answer before the attempt counts as failed. */
    WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
    /** Bulk scoring uploads (CSV, NDJSON) are streamed to R2, so they may be far larger than other bodies. */
    MAX_BULK_BYTES: positiveInt(100 * 1024 * 1024),
    /**
     * Rows per queue message of a bulk job (fewer when they are wide: at most 400 bytes a row); each chunk is
     * scored in one batched inference call and recorded in one database call, so larger chunks pay those fixed
     * costs less often. Two of a batch's chunks are handled at once.
     */
    BULK_CHUNK_ROWS: positiveInt(5000),
    /** A queued or running bulk job that has not moved for this long gets its unrecorded chunks sent again. */
    BULK_STALL_SECONDS: positiveInt(15 * 60),
    /** Rows a tenant may score per UTC day (single and bulk), unless its quotas say otherwise. */
    TENANT_INFERENCE_ROWS_PER_DAY: positiveInt(100_000),
  })
  .superRefine((config, ctx) => {
    // Outside local development there is no built-in fallback: a missing secret stops the Worker from serving.
    const local = config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test";
    if (!local && !config.DATABASE_URL) {
      ctx.addIssue({ code: "custom", path: ["DATABASE_URL"], message: "required outside local development" });
    }
    if (config.ENVIRONMENT !== "test" && config.PASSWORD_HASH_LOG2_N !== 14) {
      ctx.addIssue({
        code: "custom",
        path: ["PASSWORD_HASH_LOG2_N"],
        message: "only a test run may lower the password hashing cost",
      });
    }
    if (!local && config.RATE_LIMIT_BACKEND === "off") {
      ctx.addIssue({
        code: "custom",
        path: ["RATE_LIMIT_BACKEND"],
        message: "off is for local measurement only",
      });
    }
    if (
      config.RATE_LIMIT_BACKEND === "upstash" &&
      !(config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["RATE_LIMIT_BACKEND"],
        message: "upstash needs UPSTASH_REDIS_REST_URL and _TOKEN",
      });
    }
    if (!local && !config.JWT_SIGNING_KEYS) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SIGNING_KEYS"],
        message: "required outside local development",
      });
    }
    for (const name of ["SECRETS_ENCRYPTION_KEYS", "BACKUP_CODE_PEPPER"] as const) {
      if (!local && !config[name]) {
        ctx.addIssue({ code: "custom", path: [name], message: "required outside local development" });
      }
    }
    if (!local && !config.EMAIL_API_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["EMAIL_API_KEY"],
        message: "required outside local development",
      });
    }
    if (Boolean(config.UPSTASH_REDIS_REST_URL) !== Boolean(config.UPSTASH_REDIS_REST_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTASH_REDIS_REST_TOKEN"],
        message: "set both Upstash URL and token, or neither",
      });
    }
    if (!local && config.IDV_PROVIDER_URL?.startsWith("http:")) {
      ctx.addIssue({
        code: "custom",
        path: ["IDV_PROVIDER_URL"],
        message: "personal data goes to the provider over https only",
      });
    }
    for (const provider of ["GOOGLE", "MICROSOFT", "GITHUB"] as const) {
      if (Boolean(config[`${provider}_CLIENT_ID`]) !== Boolean(config[`${provider}_CLIENT_SECRET`])) {
        ctx.addIssue({
          code: "custom",
          path: [`${provider}_CLIENT_SECRET`],
          message: "set both client id and secret, or neither",
        });
      }
    }
    if (config.MICROSOFT_CLIENT_ID && !config.MICROSOFT_ISSUER) {
      ctx.addIssue({
        code: "custom",
        path: ["MICROSOFT_ISSUER"],
        message: "the directory's issuer is required",
      });
    }
    for (const name of ["GOOGLE_ISSUER", "MICROSOFT_ISSUER", "GITHUB_URL", "GITHUB_API_URL"] as const) {
      if (!local && config[name]?.startsWith("http:")) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: "identity providers are reached over https only",
        });
      }
    }
    if (!local && config.WS_RELAY) {
      ctx.addIssue({
        code: "custom",
        path: ["WS_RELAY"],
        message: "the local relay is for development only",
      });
    }
    if (!local && config.SQL_HTTP_ENDPOINT) {
      ctx.addIssue({
        code: "custom",
        path: ["SQL_HTTP_ENDPOINT"],
        message: "the local SQL-over-HTTP server is for development only",
      });
    }
  });

/** Typed configuration, parsed from bindings once per isolate. */
export type AppConfig = z.infer<typeof ConfigSchema>;

/** Raised when the Worker's configuration is unusable; names the offending settings, never their values. */
export class ConfigError extends Error {
  constructor(readonly settings: string[]) {
    super(`invalid configuration: ${settings.join(", ")}`);
    this.name = "ConfigError";
  }
}

const cache = new WeakMap<object, AppConfig | ConfigError>();
/** The last bindings parsed, by their plain values: a runtime may hand each request a new bindings object. */
let last: { signature: string; entry: AppConfig | ConfigError } | undefined;

/** The bindings' plain values (vars and secrets - all the configuration reads), as one string. */
const signatureOf = (env: Bindings) =>
  Object.entries(env)
    .filter(([, value]) => ["string", "number", "boolean"].includes(typeof value))
    .map(([name, value]) => `${name}\u0000${String(value)}`)
    .join("\u0001");

/**
 * Parses and caches the configuration: per bindings object, and - since `wrangler dev` (and possibly the
 * runtime) hands requests new bindings objects - by their plain values, which is all the schema reads. A
 * parse is a quarter of a millisecond or more; comparing the values is a few microseconds.
 */
export function loadConfig(env: Bindings): AppConfig {
  let entry = cache.get(env);
  if (!entry) {
    const signature = signatureOf(env);
    if (last?.signature === signature) {
      entry = last.entry;
    } else {
      const parsed = ConfigSchema.safeParse(env);
      entry = parsed.success
        ? parsed.data
        : new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
      last = { signature, entry };
    }
    cache.set(env, entry);
  }
  if (entry instanceof ConfigError) throw entry;
  return entry;
}
