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
  it("serves the reference page and its pinned renderer from this Worker, under a CSP that allows nothing else", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('data-url="/openapi.json"');
    const src = html.match(/<script src="([^"]+)" integrity="(sha384-[A-Za-z0-9+/=]+)"/);
    expect(src?.[1]).toMatch(/^\/docs\/vendor\/[a-z0-9.-]+\.js$/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).toContain("connect-src 'self'");

    // The renderer comes from the static assets, byte for byte the file its integrity attribute names.
    const renderer = await call(src?.[1] ?? "");
    expect(renderer.status).toBe(200);
    expect(renderer.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(renderer.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const digest = await crypto.subtle.digest("SHA-384", await renderer.arrayBuffer());
    expect(`sha384-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`).toBe(src?.[2]);
    expect((await call("/docs/vendor/missing-1.0.0.js")).status).toBe(404);
    expect((await call("/docs/vendor/..%2F..%2Fwrangler.toml")).status).toBe(400);
  });
});

describe("GET /console", () => {
  it("serves the console's page under its own CSP - this origin's files only, nothing inline - and its files from the static assets", async () => {
    const response = await call("/console");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|style=/);
    const csp = response.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain("unsafe");

    const script = await call("/console/assets/console.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(script.headers.get("cache-control")).toBe("no-store");
    expect(await script.text()).not.toMatch(/\beval\(|new Function\(/);
    const styles = await call("/console/assets/console.css");
    expect(styles.headers.get("content-type")).toMatch(/^text\/css/);
    // The asset routes answer with the API's strict policy, not the page's.
    expect(styles.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect((await call("/console/assets/missing.js")).status).toBe(404);
    expect((await call("/console/assets/..%2F..%2Fwrangler.toml")).status).toBe(400);
  });
});
