import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { Bindings } from "../../src/env";

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 schema", async () => {
    const env = { ENVIRONMENT: "test", LOG_LEVEL: "error" } as unknown as Bindings;
    const response = await createApp().request("/openapi.json", {}, env);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
