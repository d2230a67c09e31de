import { describe, expect, it } from "vitest";
import { type ConfigError, loadConfig } from "../../src/config";
import type { Bindings } from "../../src/env";

const RING = '{"current":"k1","keys":{"k1":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}}';

const base = { MODELS: {}, FILES: {} } as unknown as Bindings;
const load = (vars: Record<string, string | undefined>) => loadConfig({ ...base, ...vars } as Bindings);

describe("loadConfig", () => {
  it("parses once for bindings objects with the same values, again when a value differs", () => {
    const first = load({ LOG_LEVEL: "warn", MAX_BODY_BYTES: "4096" });
    expect(load({ LOG_LEVEL: "warn", MAX_BODY_BYTES: "4096" })).toBe(first);
    const changed = load({ LOG_LEVEL: "warn", MAX_BODY_BYTES: "8192" });
    expect(changed).not.toBe(first);
    expect(changed.MAX_BODY_BYTES).toBe(8192);
  });

  it("applies the documented defaults", () => {
    const config = load({});
    expect(config).toMatchObject({
      ENVIRONMENT: "development",
      LOG_LEVEL: "info",
      CORS_ORIGINS: [],
      MAX_BODY_BYTES: 10 * 1024 * 1024,
      REQUEST_TIMEOUT_MS: 30_000,
    });
  });

  it("parses the CORS allow-list and numbers", () => {
    const config = load({
      CORS_ORIGINS: " https://a.example ,http://localhost:3000,, ",
      MAX_BODY_BYTES: "2048",
      REQUEST_TIMEOUT_MS: "500",
    });
    expect(config.CORS_ORIGINS).toEqual(["https://a.example", "http://localhost:3000"]);
    expect(config.MAX_BODY_BYTES).toBe(2048);
    expect(config.REQUEST_TIMEOUT_MS).toBe(500);
  });

  it("refuses production without its secrets, naming each, and the local relay in production", () => {
    try {
      load({ ENVIRONMENT: "production" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).settings.map((s) => s.split(":")[0]).sort()).toEqual([
        "BACKUP_CODE_PEPPER",
        "DATABASE_URL",
        "EMAIL_API_KEY",
        "JWT_SIGNING_KEYS",
        "SECRETS_ENCRYPTION_KEYS",
      ]);
    }
    try {
      load({
        ENVIRONMENT: "production",
        DATABASE_URL: "postgres://u:p@db.example/app",
        JWT_SIGNING_KEYS: "[]",
        EMAIL_API_KEY: "re_secret",
        SECRETS_ENCRYPTION_KEYS: RING,
        BACKUP_CODE_PEPPER: RING,
        WS_RELAY: "127.0.0.1:1",
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).settings).toEqual(["WS_RELAY: the local relay is for development only"]);
      expect((error as ConfigError).message).not.toContain("u:p");
      expect((error as ConfigError).message).not.toContain("re_secret");
    }
  });

  it.each([
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
    [{ MAX_BODY_BYTES: "-1" }, "MAX_BODY_BYTES"],
    [{ CORS_ORIGINS: "*" }, "CORS_ORIGINS"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
  ])("names the invalid setting %#", (vars, name) => {
    expect(() => load(vars)).toThrow(name);
  });

  it("allows switching the rate limiter off only locally, and Upstash only when configured", () => {
    expect(load({ RATE_LIMIT_BACKEND: "off" }).RATE_LIMIT_BACKEND).toBe("off");
    const production = {
      ENVIRONMENT: "production",
      DATABASE_URL: "postgres://u:p@db.example/app",
      JWT_SIGNING_KEYS: "[]",
      EMAIL_API_KEY: "re_secret",
      SECRETS_ENCRYPTION_KEYS: RING,
      BACKUP_CODE_PEPPER: RING,
    };
    expect(() => load({ ...production, RATE_LIMIT_BACKEND: "off" })).toThrow("RATE_LIMIT_BACKEND");
    expect(() => load({ RATE_LIMIT_BACKEND: "upstash" })).toThrow("RATE_LIMIT_BACKEND");
    expect(load({ ...production }).RATE_LIMIT_BACKEND).toBe("auto");
  });

  it("hashes passwords at the standard cost everywhere but a test run", () => {
    expect(load({}).PASSWORD_HASH_LOG2_N).toBe(14);
    expect(load({ ENVIRONMENT: "test", PASSWORD_HASH_LOG2_N: "10" }).PASSWORD_HASH_LOG2_N).toBe(10);
    expect(() => load({ PASSWORD_HASH_LOG2_N: "10" })).toThrow("PASSWORD_HASH_LOG2_N");
    expect(() => load({ ENVIRONMENT: "test", PASSWORD_HASH_LOG2_N: "9" })).toThrow("PASSWORD_HASH_LOG2_N");
    expect(() => load({ ENVIRONMENT: "test", PASSWORD_HASH_LOG2_N: "15" })).toThrow("PASSWORD_HASH_LOG2_N");
  });

  it("holds the limiter to a one-second answer unless told otherwise", () => {
    expect(load({}).RATE_LIMIT_TIMEOUT_MS).toBe(1000);
    expect(load({ RATE_LIMIT_TIMEOUT_MS: "5000" }).RATE_LIMIT_TIMEOUT_MS).toBe(5000);
  });

  it("parses once per bindings object", () => {
    const env = { ...base, LOG_LEVEL: "warn" } as Bindings;
    expect(loadConfig(env)).toBe(loadConfig(env));
  });
});
