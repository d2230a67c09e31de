import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, problemCatalogue } from "../../src/errors";
import { fieldErrors, toAppError } from "../../src/middleware/problems";

describe("problem catalogue", () => {
  it("gives every code an error status and a title", () => {
    for (const [code, { status, title }] of Object.entries(problemCatalogue)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(title.length, code).toBeGreaterThan(0);
    }
  });
});

describe("fieldErrors", () => {
  it("escapes JSON Pointer segments (RFC 6901) and names parameters plainly", () => {
    const schema = z.object({ "a/b~c": z.object({ items: z.array(z.number()) }) });
    const result = schema.safeParse({ "a/b~c": { items: [1, "two"] } });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(fieldErrors(result.error, "json")[0]).toMatchObject({
      location: "body",
      pointer: "/a~1b~0c/items/1",
    });
    expect(fieldErrors(result.error, "query")[0]).toMatchObject({
      location: "query",
      pointer: "a/b~c.items.1",
    });
  });
});

describe("toAppError", () => {
  it("keeps an AppError as it is", () => {
    const error = new AppError("conflict", "x");
    expect(toAppError(error)).toBe(error);
  });

  it("maps Hono's malformed-JSON exception to malformed_json", () => {
    const mapped = toAppError(new HTTPException(400, { message: "Malformed JSON in request body" }));
    expect(mapped.code).toBe("malformed_json");
  });

  it("maps other HTTP exceptions by status", () => {
    expect(toAppError(new HTTPException(401, { message: "no" })).code).toBe("unauthorized");
    expect(toAppError(new HTTPException(413)).code).toBe("payload_too_large");
  });

  it("turns anything else into a generic 500 that keeps the cause for the log", () => {
    const cause = new TypeError("boom");
    const mapped = toAppError(cause);
    expect(mapped).toMatchObject({
      code: "internal_error",
      status: 500,
      detail: "An unexpected error occurred.",
    });
    expect(mapped.cause).toBe(cause);
  });
});
