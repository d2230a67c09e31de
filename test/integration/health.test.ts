import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { expectedMigrations } from "../../src/db/migrations";
import { publishTrainedModels, SETUP_TIMEOUT_MS, trainedModels } from "./risk-fixtures";

// Through the Worker's entry, as the runtime calls it (the other suites call the app the entry builds).
const call = (path: string, init?: RequestInit) => exports.default.fetch(`https://api.test${path}`, init);

describe("GET /health", () => {
  it("answers without touching a dependency", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await response.json<{ status: string; version: string; timestamp: string }>();
    expect(body.status).toBe("healthy");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });
});

describe("GET /health/ready", () => {
  beforeAll(() => publishTrainedModels(), SETUP_TIMEOUT_MS);

  it("reports the database, storage and models healthy, with latency and the migration version", async () => {
    const response = await call("/health/ready");
    const body = await response.json<{
      status: string;
      services: Record<
        string,
        { status: string; required: boolean; response_time_ms: number; [k: string]: unknown }
      >;
    }>();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe("healthy");
    const { database, storage } = body.services;
    expect(database?.status).toBe("healthy");
    expect(database?.required).toBe(true);
    expect(database?.response_time_ms).toBeGreaterThanOrEqual(0);
    const latest = expectedMigrations.at(-1)?.tag;
    expect(latest).toMatch(/^\d{4}_/);
    expect(database?.migrations).toMatchObject({ current: latest, expected: latest, pending: [] });
    expect(body.services.signing_keys).toMatchObject({ status: "healthy", required: true });
    expect(storage).toMatchObject({ status: "healthy", required: false, buckets: ["MODELS", "FILES"] });
    expect(body.services.models).toMatchObject({
      status: "healthy",
      required: false,
      active: Object.fromEntries(trainedModels().map((m) => [m.name, m.version])),
    });
  });
});
