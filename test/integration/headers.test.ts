import { afterEach, describe, expect, it, vi } from "vitest";
import { appWith, call } from "./helpers";

afterEach(() => vi.restoreAllMocks());

const securityHeaders = {
  "strict-transport-security": /max-age=\d{8,}; includeSubDomains/,
  "x-content-type-options": /^nosniff$/,
  "x-frame-options": /^DENY$/,
  "referrer-policy": /^no-referrer$/,
  "cache-control": /^no-store$/,
  "content-security-policy": /default-src 'none'.*frame-ancestors 'none'/,
};

describe("headers on every response", () => {
  it.each([
    ["/health", undefined, 200],
    ["/nowhere", undefined, 404],
    ["/health", { method: "PUT" }, 405],
    ["/health", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }, 415],
    ["/openapi.json", undefined, 200],
  ] as const)("%s (%#) carries the security headers and a request id", async (path, init, status) => {
    const response = await call(path, init as RequestInit | undefined);
    expect(response.status).toBe(status);
    for (const [name, pattern] of Object.entries(securityHeaders)) {
      expect(response.headers.get(name), name).toMatch(pattern);
    }
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-powered-by")).toBeNull();
  });
});

describe("X-Request-Id", () => {
  it("keeps a valid incoming id, on success and on errors", async () => {
    for (const path of ["/health", "/missing"]) {
      const response = await call(path, { headers: { "X-Request-Id": "client-trace.42:abc" } });
      expect(response.headers.get("x-request-id")).toBe("client-trace.42:abc");
    }
  });

  it.each([["has spaces"], ["<script>"], ["x".repeat(129)], ["a\tb"]])(
    "replaces an unsafe id %#",
    async (id) => {
      const response = await call("/health", { headers: { "X-Request-Id": id } });
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});

describe("CORS", () => {
  const request = appWith();
  const allowed = { CORS_ORIGINS: "https://app.example.com, https://admin.example.com" };

  it("echoes an allowed origin with credentials", async () => {
    const response = await request("/health", { headers: { Origin: "https://app.example.com" } }, allowed);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(response.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("gives no CORS grant to an origin outside the list", async () => {
    const response = await request("/health", { headers: { Origin: "https://evil.example" } }, allowed);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from an allowed origin", async () => {
    const response = await request(
      "/health",
      {
        method: "OPTIONS",
        headers: {
          Origin: "https://admin.example.com",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type, authorization",
        },
      },
      allowed,
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });
});

describe("request log", () => {
  it("writes one JSON line per request, with no query string or credentials", async () => {
    const lines = vi.spyOn(console, "log").mockImplementation(() => {});
    const request = appWith();
    await request(
      "/health?token=hunter2",
      { headers: { "X-Request-Id": "log-check-1", Authorization: "Bearer eyJsecret" } },
      { LOG_LEVEL: "info" },
    );
    const logged = lines.mock.calls.map(([line]) => JSON.parse(String(line)));
    const entries = logged.filter((line) => line.requestId === "log-check-1");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: "info",
      msg: "request",
      method: "GET",
      path: "/health",
      status: 200,
    });
    expect(entries[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(entries[0].ts)).not.toBeNaN();
    const raw = lines.mock.calls.map(([line]) => String(line)).join("\n");
    expect(raw).not.toContain("hunter2");
    expect(raw).not.toContain("eyJsecret");
  });

  it("is silent below the configured level", async () => {
    const lines = vi.spyOn(console, "log").mockImplementation(() => {});
    await appWith()("/health", { headers: { "X-Request-Id": "quiet-1" } }, { LOG_LEVEL: "warn" });
    expect(lines.mock.calls.some(([line]) => String(line).includes("quiet-1"))).toBe(false);
  });
});
