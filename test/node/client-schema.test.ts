import { readFile } from "node:fs/promises";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { ProblemCode as ClientProblemCode } from "../../client/src";
import { type ProblemCode, problemCatalogue } from "../../src/errors";
import { openApiDocument, renderClientSources } from "../../tools/client-generate";

describe("the typed client's generated sources", () => {
  it("match the API's current OpenAPI document (npm run client:generate)", async () => {
    for (const [file, expected] of Object.entries(await renderClientSources())) {
      const committed = await readFile(file, "utf8").catch(() => "");
      expect(
        committed === expected,
        `${file} is stale against the OpenAPI document: run npm run client:generate`,
      ).toBe(true);
    }
  });

  it("carry every problem code of the catalogue, and the transaction route among the idempotent ones", async () => {
    const { idempotentOperations, problemCodes } = await import("../../client/src/generated/operations");
    expect([...problemCodes].sort()).toEqual(Object.keys(problemCatalogue).sort());
    // Checked by tsc: the client's union is exactly the API's catalogue.
    expectTypeOf<ClientProblemCode>().toEqualTypeOf<ProblemCode>();
    expect(idempotentOperations).toContain("POST /api/v1/portfolios/{id}/transactions");
    expect(idempotentOperations).not.toContain("POST /api/v1/portfolios");
    expect((await openApiDocument()).openapi).toMatch(/^3\.1\./);
  });
});
