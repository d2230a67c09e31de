import { sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { registerUser } from "../integration/auth-helpers";
import { query, tokenFor } from "../integration/tenancy-fixtures";
import { hostileValidBodies, invalidBodies, malformedBodies, nastyBodies } from "./bad-input";
import { type EncodedValue, invalidParameterValues, unknownQueryParameters } from "./bad-parameters";
import { excerpt, expectProblem } from "./expectations";
import { serialize } from "./hostile-strings";
import {
  concreteUrl,
  exampleBody,
  exampleHeaders,
  fetchDocument,
  isSecured,
  jsonBodySchema,
  nameOf,
  operationsOf,
  parametersIn,
  percentEncode,
  type WalkedOperation,
} from "./openapi-walk";
import { send } from "./worker";

// Property-based attacks on every documented operation: bad input must be refused with a problem (4xx),
// never crash the Worker (5xx). The seed is fixed so a failure replays; fast-check prints it with the path.
const SEED = 20_260_420;
const RUNS = 15;
const HOSTILE_RUNS = 8;
const options = { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true };
// A documentation-range address of its own: per-address limits counted here do not spill onto other suites.
const CLIENT = { "cf-connecting-ip": "198.51.100.23" };
// Each test is bounded too: a property still running after this fails instead of quietly doing fewer runs.
const TEST_TIMEOUT_MS = 30_000;

const document = await fetchDocument();
const components = document.components?.schemas;
const operations = operationsOf(document);

let token = "";
beforeAll(async () => {
  // A platform operator: every route, tenant management included, gets past authorization to validation.
  const registered = await registerUser("fuzz");
  await query(sql`update users set role = 'super_admin' where id = ${registered.user.id}`);
  token = await tokenFor({ id: registered.user.id, role: "super_admin" }, registered.tenant.id);
});

interface Attempt {
  url: string;
  body?: string;
}

function request(walked: WalkedOperation, { url, body }: Attempt): Promise<Response> {
  const headers: Record<string, string> = { ...CLIENT, ...exampleHeaders(document, walked) };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (isSecured(document, walked)) headers.authorization = `Bearer ${token}`;
  return send(url, { method: walked.method, headers, body });
}

const contextOf = (walked: WalkedOperation, attempt: Attempt) =>
  `${walked.method} ${excerpt(attempt.url, 120)} body ${excerpt(attempt.body)}`;

/** A 4xx problem with one of the expected codes (429 is always acceptable: limits apply first). */
async function expectRefused(walked: WalkedOperation, attempt: Attempt, codes: readonly string[]) {
  const response = await request(walked, attempt);
  const context = contextOf(walked, attempt);
  const problem = await expectProblem(response, context);
  const outcome = `${context} -> ${response.status} ${problem.code}: ${problem.detail}`;
  expect(response.status, outcome).toBeGreaterThanOrEqual(400);
  expect(response.status, outcome).toBeLessThan(500);
  expect([...codes, "rate_limited"], outcome).toContain(problem.code);
}

/** Anything but a 5xx; an error is a problem document. */
async function expectNoFailure(walked: WalkedOperation, attempt: Attempt) {
  const response = await request(walked, attempt);
  const context = `${contextOf(walked, attempt)} -> ${response.status}`;
  expect(response.status, context).toBeLessThan(500);
  if (response.status >= 400) await expectProblem(response, context);
}

const VALIDATION_CODES = ["validation_failed", "invalid_parameters", "malformed_json"];
const withParameter = (walked: WalkedOperation, location: string, name: string, value: EncodedValue) =>
  concreteUrl(document, walked, { [location]: { [name]: value.encoded } });

it("finds operations with bodies and with parameters to attack", () => {
  expect(operations.filter((walked) => jsonBodySchema(document, walked)).length).toBeGreaterThan(0);
  expect(operations.filter((walked) => walked.operation.parameters?.length).length).toBeGreaterThan(0);
});

for (const walked of operations) {
  const bodySchema = jsonBodySchema(document, walked);
  const parameters = [...parametersIn(walked, "path"), ...parametersIn(walked, "query")];
  if (!bodySchema && parameters.length === 0) continue;

  describe(nameOf(walked), { timeout: TEST_TIMEOUT_MS }, () => {
    const body = () => {
      const example = exampleBody(document, walked);
      return example === undefined ? undefined : serialize(example);
    };

    it("lets its own valid example past validation, so each refusal below is the mutation's", async () => {
      const attempt = { url: concreteUrl(document, walked), body: body() };
      const response = await request(walked, attempt);
      const context = `${contextOf(walked, attempt)} -> ${response.status}`;
      expect(response.status, context).toBeLessThan(500);
      if (response.status >= 400) {
        const { code } = await expectProblem(response, context);
        expect(VALIDATION_CODES, context).not.toContain(code);
        if (isSecured(document, walked)) expect(code, context).not.toBe("unauthorized");
      }
    });

    if (bodySchema) {
      for (const family of invalidBodies(components, bodySchema)) {
        it(`refuses ${family.kind} with 422`, async () => {
          const url = concreteUrl(document, walked);
          await fc.assert(
            fc.asyncProperty(family.bodies, (text) =>
              expectRefused(walked, { url, body: text }, ["validation_failed"]),
            ),
            options,
          );
        });
      }

      it("refuses malformed JSON with 400", async () => {
        const url = concreteUrl(document, walked);
        await fc.assert(
          fc.asyncProperty(malformedBodies(components, bodySchema), (text) =>
            expectRefused(walked, { url, body: text }, ["malformed_json"]),
          ),
          options,
        );
      });

      const nasty = nastyBodies(components, bodySchema);
      if (nasty.length > 0) {
        it("never fails on any nasty character (bidi marks, NUL, lone surrogates) in any free-text field", async () => {
          const url = concreteUrl(document, walked);
          for (const text of nasty) await expectNoFailure(walked, { url, body: text });
        });
      }

      const hostile = hostileValidBodies(components, bodySchema);
      if (hostile) {
        it("never fails on random hostile text in a free-text field", async () => {
          const url = concreteUrl(document, walked);
          await fc.assert(
            fc.asyncProperty(hostile, (text) => expectNoFailure(walked, { url, body: text })),
            { ...options, numRuns: HOSTILE_RUNS },
          );
        });
      }
    }

    for (const parameter of parameters) {
      const values = invalidParameterValues(components, parameter.schema);
      const where = `${parameter.in} parameter "${parameter.name}"`;
      const codes = parameter.in === "path" ? ["invalid_parameters", "not_found"] : ["invalid_parameters"];
      if (values) {
        it(`refuses an invalid ${where}`, async () => {
          await fc.assert(
            fc.asyncProperty(values, (value) =>
              expectRefused(
                walked,
                { url: withParameter(walked, parameter.in, parameter.name, value), body: body() },
                codes,
              ),
            ),
            options,
          );
        });
      }
      if (parameter.in === "query" && parameter.required) {
        it(`refuses a missing ${where}`, async () => {
          const url = concreteUrl(document, walked, { query: { [parameter.name]: undefined } });
          await expectRefused(walked, { url, body: body() }, codes);
        });
      }
    }

    if (parametersIn(walked, "query").length > 0) {
      it("never fails on unknown query parameters with hostile names and values", async () => {
        await fc.assert(
          fc.asyncProperty(unknownQueryParameters, (extra) => {
            const query = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, percentEncode(v)]));
            return expectNoFailure(walked, { url: concreteUrl(document, walked, { query }), body: body() });
          }),
          { ...options, numRuns: HOSTILE_RUNS },
        );
      });
    }
  });
}
