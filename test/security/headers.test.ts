import { expect, it } from "vitest";
import { call } from "../integration/helpers";
import { expectHardenedHeaders, expectProblem } from "./expectations";
import { concreteUrl, fetchDocument, nameOf, operationsOf } from "./openapi-walk";

// Public keys may be cached briefly by clients and proxies (key rotation keeps the previous key published).
const CACHE_CONTROL_EXCEPTIONS: Record<string, RegExp> = {
  "/.well-known/jwks.json": /^public, max-age=300$/,
  // Versioned file names: a new version is a new name.
  "/docs/vendor/{file}": /^public, max-age=31536000, immutable$/,
};

const document = await fetchDocument();
const reads = operationsOf(document).filter((walked) => walked.method === "GET");

it("finds the read operations, the key set among them", () => {
  expect(reads.length).toBeGreaterThan(0);
  for (const path of Object.keys(CACHE_CONTROL_EXCEPTIONS)) {
    expect(reads.map((walked) => walked.path)).toContain(path);
  }
});

// Through the deployed Worker's fetch handler: a few requests, so the harness's slowdown does not matter.
it.each(reads.map((walked) => [nameOf(walked), walked] as const))(
  "%s without credentials answers with the hardened headers, whatever its status",
  async (name, walked) => {
    const response = await call(concreteUrl(document, walked));
    const context = `${name} -> ${response.status}`;
    expectHardenedHeaders(response, context, CACHE_CONTROL_EXCEPTIONS[walked.path]);
    if (response.headers.get("content-type") === "application/problem+json") {
      await expectProblem(response, context);
    }
  },
);
