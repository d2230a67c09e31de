import { z } from "zod";
import type { Bindings } from "./env";

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
  })
  .superRefine((config, ctx) => {
    // Outside local development there is no built-in fallback: a missing secret stops the Worker from serving.
    const local = config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test";
    if (!local && !config.DATABASE_URL) {
      ctx.addIssue({ code: "custom", path: ["DATABASE_URL"], message: "required outside local development" });
    }
    if (!local && config.WS_RELAY) {
      ctx.addIssue({
        code: "custom",
        path: ["WS_RELAY"],
        message: "the local relay is for development only",
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

/** Parses and caches the configuration for one bindings object (one per isolate in production). */
export function loadConfig(env: Bindings): AppConfig {
  let entry = cache.get(env);
  if (!entry) {
    const parsed = ConfigSchema.safeParse(env);
    entry = parsed.success
      ? parsed.data
      : new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
    cache.set(env, entry);
  }
  if (entry instanceof ConfigError) throw entry;
  return entry;
}
