import { z } from "@hono/zod-openapi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "../../src/errors";
import { defineRoute } from "../../src/openapi";
import { appWith, call, problemOf } from "./helpers";

// A contract defined here exercises the chassis' validation and error paths with a real body and params.
const order = defineRoute({
  method: "post",
  path: "/chassis/orders/{id}",
  "x-rate-limit": "default",
  request: {
    params: z.object({ id: z.uuid() }),
    query: z.object({ limit: z.coerce.number().int().max(100).optional() }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({ amount: z.string().regex(/^\d+(\.\d+)?$/), "a/b": z.string().optional() })
            .strict(),
        },
      },
    },
  },
  responses: { 201: { description: "ok", content: { "application/json": { schema: z.object({}) } } } },
});

const request = appWith((app) => {
  app.openapi(order, (c) => c.json(c.req.valid("json"), 201));
  app.get("/chassis/crash", () => {
    throw new Error("connection string postgres://secret@db leaked?");
  });
  app.get("/chassis/conflict", () => {
    throw new AppError("conflict", "Already exists.");
  });
  app.get("/chassis/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return c.json({}, 200);
  });
});

const id = "3f1c2a5e-8b7d-4c1a-9e2f-0a1b2c3d4e5f";
const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

afterEach(() => vi.restoreAllMocks());

describe("problem responses", () => {
  it("404 for an unknown route, with the request id in body and header", async () => {
    const response = await call("/no/such/route");
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({
      status: 404,
      code: "not_found",
      title: "Not Found",
      instance: "/no/such/route",
    });
    expect(problem.type).toBe("urn:finedge:problem:not_found");
    expect(problem.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("405 with Allow for a known path and another method", async () => {
    const response = await call("/health", { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect((await problemOf(response)).code).toBe("method_not_allowed");
  });

  it("400 for malformed JSON", async () => {
    const response = await call("/health", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"amount": ',
    });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).code).toBe("malformed_json");
  });

  it("415 for a body that is not JSON", async () => {
    const response = await call("/health", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "a,b",
    });
    expect(response.status).toBe(415);
    expect(response.headers.get("accept-post")).toBe("application/json");
    expect((await problemOf(response)).code).toBe("unsupported_media_type");
  });

  it("413 for a body over the limit declared by Content-Length", async () => {
    const response = await call("/health", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `"${"x".repeat(10 * 1024 * 1024)}"`,
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).code).toBe("payload_too_large");
  });

  it("413 for a streamed body that grows past a configured limit", async () => {
    let left = 8;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
        if (--left <= 0) controller.close();
      },
    });
    const response = await request(
      `/chassis/orders/${id}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit,
      { MAX_BODY_BYTES: "2048" },
    );
    expect(response.status).toBe(413);
    expect((await problemOf(response)).detail).toContain("2048 bytes");
  });

  it("422 listing each invalid body field as a JSON Pointer", async () => {
    const response = await request(`/chassis/orders/${id}`, json({ amount: 12.5, "a/b": 1, role: "admin" }));
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.code).toBe("validation_failed");
    const pointers = problem.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(["/", "/amount", "/a~1b"]);
    expect(problem.errors?.every((e) => e.location === "body" && e.message.length > 0)).toBe(true);
  });

  it("400 listing invalid path and query parameters", async () => {
    const badPath = await request("/chassis/orders/not-a-uuid", json({ amount: "1" }));
    expect(badPath.status).toBe(400);
    const pathProblem = await problemOf(badPath);
    expect(pathProblem.code).toBe("invalid_parameters");
    expect(pathProblem.errors?.map((e) => [e.location, e.pointer])).toEqual([["path", "id"]]);
    const badQuery = await request(`/chassis/orders/${id}?limit=1000`, json({ amount: "1" }));
    expect(badQuery.status).toBe(400);
    expect((await problemOf(badQuery)).errors?.map((e) => [e.location, e.pointer])).toEqual([
      ["query", "limit"],
    ]);
  });

  it("accepts a valid request through the same chassis", async () => {
    const response = await request(`/chassis/orders/${id}?limit=5`, json({ amount: "12.50" }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ amount: "12.50" });
  });

  it("renders an AppError with its own status and code", async () => {
    const response = await request("/chassis/conflict");
    expect(response.status).toBe(409);
    expect(await problemOf(response)).toMatchObject({ code: "conflict", detail: "Already exists." });
  });

  it("500 says nothing internal and logs the error in full with the request id", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await request("/chassis/crash", { headers: { "x-request-id": "trace-500" } });
    expect(response.status).toBe(500);
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ code: "internal_error", requestId: "trace-500" });
    expect(JSON.stringify(problem)).not.toContain("secret");
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
    const failure = logged.find((line) => line.msg === "request failed");
    expect(failure).toMatchObject({ level: "error", requestId: "trace-500" });
    expect(failure.error.message).toContain("connection string");
    expect(failure.error.stack).toBeTypeOf("string");
  });

  it("503 with Retry-After when the request deadline passes", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await request("/chassis/slow", {}, { REQUEST_TIMEOUT_MS: "50" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect((await problemOf(response)).code).toBe("request_timeout");
  });

  it("503 when required configuration is missing outside development, naming no secret", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await request("/health", {}, { ENVIRONMENT: "production", DATABASE_URL: undefined });
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe("service_unavailable");
  });
});
