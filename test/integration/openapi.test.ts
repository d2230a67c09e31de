import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "./helpers";

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document listing every mounted route and method", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    const document = await response.json<Document>();
    expect(document.openapi).toBe("3.1.0");
    const mounted = createApp()
      .routes.filter((route) => route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} ${toOpenApiPath(route.path)}`);
    expect(mounted.length).toBeGreaterThan(0);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...new Set(mounted)].sort());
  });

  it("documents the problem responses of every operation", async () => {
    const document = await (await call("/openapi.json")).json<Document>();
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const status of ["500", "503"]) {
          expect(operation.responses[status]?.content, `${method} ${path} ${status}`).toHaveProperty(
            "application/problem+json",
          );
        }
      }
    }
  });
});

describe("GET /docs", () => {
  it("serves the reference page pointing at the document, under a CSP that allows its renderer", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('data-url="/openapi.json"');
    const src = html.match(/<script src="([^"]+)"\s+integrity="(sha384-[A-Za-z0-9+/=]+)"/);
    expect(src).not.toBeNull();
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`script-src ${new URL(src?.[1] ?? "").origin}`);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).toContain("connect-src 'self'");
  });
});
