import { describe, expect, it } from "vitest";
import { checkReadiness, type DependencyCheck, overallStatus } from "../../src/services/readiness";

const check = (name: string, required: boolean, probe: DependencyCheck["probe"]): DependencyCheck => ({
  name,
  required,
  probe,
});
const options = {
  version: "1.2.3",
  environment: "test",
  timeoutMs: 50,
  now: () => new Date("2026-01-02T03:04:05Z"),
};

describe("checkReadiness", () => {
  it("is healthy when every probe succeeds, with details and latency", async () => {
    const report = await checkReadiness(
      [
        check("database", true, async () => ({ serverVersion: "15" })),
        check("storage", false, async () => ({})),
      ],
      options,
    );
    expect(report).toMatchObject({
      status: "healthy",
      timestamp: "2026-01-02T03:04:05.000Z",
      version: "1.2.3",
      services: { database: { status: "healthy", required: true, details: { serverVersion: "15" } } },
    });
    expect(report.services.database?.responseTimeMs).toBeGreaterThanOrEqual(0);
  });

  it("is degraded when only an optional dependency fails", async () => {
    const failures: string[] = [];
    const report = await checkReadiness(
      [
        check("database", true, async () => ({})),
        check("storage", false, async () => {
          throw new Error("bucket gone");
        }),
      ],
      { ...options, onFailure: (name) => failures.push(name) },
    );
    expect(report.status).toBe("degraded");
    expect(report.services.storage).toMatchObject({ status: "unhealthy", error: "unreachable" });
    expect(failures).toEqual(["storage"]);
  });

  it("is unhealthy when a required probe times out", async () => {
    const report = await checkReadiness([check("database", true, () => new Promise(() => {}))], options);
    expect(report.status).toBe("unhealthy");
    expect(report.services.database).toMatchObject({ status: "unhealthy", error: "timeout" });
  });

  it("lets a probe report itself unhealthy (a schema behind the code)", async () => {
    const report = await checkReadiness(
      [check("database", true, async () => ({ status: "unhealthy", pending: ["0001_x"] }))],
      options,
    );
    expect(report.status).toBe("unhealthy");
  });
});

describe("overallStatus", () => {
  const r = (status: "healthy" | "degraded" | "unhealthy", required: boolean) => ({
    status,
    required,
    responseTimeMs: 1,
    details: {},
  });
  it.each([
    [[r("healthy", true), r("healthy", false)], "healthy"],
    [[r("healthy", true), r("degraded", false)], "degraded"],
    [[r("degraded", true)], "degraded"],
    [[r("unhealthy", true), r("healthy", false)], "unhealthy"],
    [[], "healthy"],
  ] as const)("%# -> %s", (reports, expected) => {
    expect(overallStatus([...reports])).toBe(expected);
  });
});
