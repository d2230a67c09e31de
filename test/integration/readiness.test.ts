import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appWith } from "./helpers";

const request = appWith();

afterEach(() => vi.restoreAllMocks());

interface Report {
  status: string;
  services: Record<string, { status: string; required: boolean; error?: string; response_time_ms: number }>;
}

describe("GET /health/ready with the database unreachable", () => {
  it("is 503 unhealthy, names the failed dependency, keeps the others, and logs the cause", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    // Port 1 on loopback: nothing listens, so the relay's TCP connect is refused.
    const response = await request(
      "/health/ready",
      {},
      { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" },
    );
    expect(response.status).toBe(503);
    const report = await response.json<Report>();
    expect(report.status).toBe("unhealthy");
    expect(report.services.database).toMatchObject({
      status: "unhealthy",
      required: true,
      error: "unreachable",
    });
    expect(report.services.storage?.status).toBe("healthy");
    expect(JSON.stringify(report)).not.toContain("127.0.0.1:1");
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(
      logged.some((line) => line.msg === "dependency check failed" && line.dependency === "database"),
    ).toBe(true);
  });

  it("is 503 when no database is configured at all", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await request("/health/ready", {}, { DATABASE_URL: undefined });
    expect(response.status).toBe(503);
    expect((await response.json<Report>()).services.database?.status).toBe("unhealthy");
  });

  it("is 503 when the signing keys are missing or unusable, naming that dependency", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const JWT_SIGNING_KEYS of [undefined, '[{"kty":"OKP"}]']) {
      const response = await request("/health/ready", {}, { JWT_SIGNING_KEYS });
      expect(response.status).toBe(503);
      const report = await response.json<Report>();
      expect(report.services.signing_keys).toMatchObject({ status: "unhealthy", required: true });
      expect(report.services.database?.status).toBe("healthy");
    }
  });

  it("liveness stays 200 while the database is down", async () => {
    const response = await request("/health", {}, { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    expect(response.status).toBe(200);
  });
});

describe("GET /health/ready with no models published", () => {
  it("is 200 degraded: scoring is down, the rest of the API is not", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // Other suites publish into MODELS in the same runtime: an empty bucket stands in for it.
    const empty = (env as unknown as { EMPTY_BUCKET: R2Bucket }).EMPTY_BUCKET;
    const response = await request("/health/ready", {}, { MODELS: empty });
    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    expect(report.status).toBe("degraded");
    expect(report.services.models).toMatchObject({ status: "unhealthy", required: false });
    expect(report.services.database?.status).toBe("healthy");
  });
});
