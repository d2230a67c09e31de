import { describe, expect, it } from "vitest";
import { toReadinessView } from "../../src/routes/health/views";
import type { ReadinessReport } from "../../src/services/readiness";

describe("toReadinessView", () => {
  const report: ReadinessReport = {
    status: "degraded",
    timestamp: "2026-01-02T03:04:05.000Z",
    version: "1.2.3",
    environment: "test",
    services: {
      database: {
        status: "healthy",
        required: true,
        responseTimeMs: 1.25,
        details: { serverVersion: "16.4", migrations: { applied: 3, current: "0002_x", pending: [] } },
      },
      signing_keys: {
        status: "healthy",
        required: true,
        responseTimeMs: 0.5,
        details: { currentKid: "k2", kids: ["k1", "k2"] },
      },
      models: {
        status: "unhealthy",
        required: false,
        responseTimeMs: 3000,
        error: "timeout",
        details: {},
      },
      catalogue: {
        status: "healthy",
        required: false,
        responseTimeMs: 2,
        details: { active: { creditRisk: "v3" } },
      },
    },
  };

  it("names every field in snake_case, top-level detail keys included, in the order always sent", () => {
    const view = toReadinessView(report);
    expect(JSON.stringify(view)).toBe(
      JSON.stringify({
        status: "degraded",
        timestamp: "2026-01-02T03:04:05.000Z",
        version: "1.2.3",
        environment: "test",
        services: {
          database: {
            status: "healthy",
            required: true,
            response_time_ms: 1.25,
            server_version: "16.4",
            migrations: { applied: 3, current: "0002_x", pending: [] },
          },
          signing_keys: {
            status: "healthy",
            required: true,
            response_time_ms: 0.5,
            current_kid: "k2",
            kids: ["k1", "k2"],
          },
          models: { status: "unhealthy", required: false, response_time_ms: 3000, error: "timeout" },
          catalogue: {
            status: "healthy",
            required: false,
            response_time_ms: 2,
            active: { creditRisk: "v3" },
          },
        },
      }),
    );
  });
});
