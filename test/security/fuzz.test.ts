import { sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { registerUser } from "../integration/auth-helpers";
import { query, tokenFor } from "../integration/tenancy-fixtures";
import { hostileValidBodies, invalidBodies, malformedBodies, nastyBodies } from "./bad-input";
import { type EncodedValue, invalidParameterValues, unknownQueryParameters } from "./bad-parameters";
import { excerpt } from "./expectations";
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
import {
  type Answer,
  absorbCookies,
  type CookieSession,
  cookieHeaders,
  cookieSignIn,
  freshKey,
  honoursIdempotencyKey,
  isStateChanging,
  MALFORMED_IDEMPOTENCY_KEYS,
  MODES,
  type Mode,
  modeLabel,
  NOT_STORED_CODES,
  REFRESH_PATH,
  readAnswer,
  sample,
  sendWithRetry,
} from "./request-modes";
import { send } from "./worker";

// Property-based attacks on every documented operation: bad input must be refused with a problem (4xx),
// never crash the Worker (5xx) - sent with a bearer token, again with an Idempotency-Key, and again from a
// browser in cookie mode (see request-modes.ts). The seed is fixed so a failure replays; fast-check prints
// it with the path.
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
let cookie: CookieSession;
beforeAll(async () => {
  // A platform operator: every route, tenant management included, gets past authorization to validation.
  const registered = await registerUser("fuzz");
  await query(sql`update users set role = 'super_admin' where id = ${registered.user.id}`);
  token = await tokenFor({ id: registered.user.id, role: "super_admin" }, registered.tenant.id);
  // The same operator in a browser, signed in in cookie mode.
  cookie = await cookieSignIn(registered.email);
});

interface Attempt {
  url: string;
  body?: string;
}

/**
 * The modes beyond bearer rerun every property with a sample of its inputs - fewer runs under another seed -
 * so each route meets every mode without tripling the suite's time.
 */
const EXTRA_RUNS = 1;
const EXTRA_HOSTILE_RUNS = 1;
const EXTRA_NASTY = 2;
const seedOf = (mode: Mode) => SEED + MODES.indexOf(mode);
const runsIn = (mode: Mode, runs: number, extra = EXTRA_RUNS) => ({
  ...options,
  seed: seedOf(mode),
  numRuns: mode === "bearer" ? runs : extra,
});

// Idempotency-Keys by purpose, so the suite can read back what was stored under each.
const REFUSED_KEYS = "fuzz-refused";
const OTHER_KEYS = "fuzz-other";

function headersFor(walked: WalkedOperation, { url, body }: Attempt, mode: Mode, keyPrefix: string) {
  const headers: Record<string, string> = { ...CLIENT, ...exampleHeaders(document, walked) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const secured = isSecured(document, walked);
  if (mode === "cookie") {
    Object.assign(headers, cookieHeaders(cookie, url));
    if (secured) headers.authorization = `Bearer ${cookie.accessToken}`;
  } else if (secured) headers.authorization = `Bearer ${token}`;
  if (mode === "idempotency-key") headers["idempotency-key"] = freshKey(keyPrefix);
  return headers;
}

/**
 * Sends the attempt in the mode; with an Idempotency-Key on a route that honours it, sends it again under
 * the same key and checks the retry answers alike. In cookie mode a refresh's new cookies are kept.
 */
function request(walked: WalkedOperation, attempt: Attempt, mode: Mode, keyPrefix = OTHER_KEYS) {
  const headers = headersFor(walked, attempt, mode, keyPrefix);
  const context = `${contextOf(walked, attempt)}${modeLabel(mode)}`;
  const init = { method: walked.method, headers, body: attempt.body };
  return sendWithRetry(walked, attempt.url, init, context, (response) => {
    if (mode === "cookie" && walked.path === REFRESH_PATH) absorbCookies(cookie, response);
  });
}

const contextOf = (walked: WalkedOperation, attempt: Attempt) =>
  `${walked.method} ${excerpt(attempt.url, 120)} body ${excerpt(attempt.body)}`;

/**
 * A refusal the route's contract documents as 403 (a step-up requirement, say) comes before validation; it
 * is a refusal all the same. A CSRF failure never is: every request here carries a valid token.
 */
const documented403 = (walked: WalkedOperation, answer: Answer) =>
  answer.status === 403 && "403" in walked.operation.responses && answer.problem?.code !== "csrf_failed";

/** A 4xx problem with one of the expected codes (429 is always acceptable: limits apply first). */
async function expectRefused(
  walked: WalkedOperation,
  attempt: Attempt,
  codes: readonly string[],
  mode: Mode,
) {
  const answer = await request(walked, attempt, mode, REFUSED_KEYS);
  const context = `${contextOf(walked, attempt)}${modeLabel(mode)}`;
  const outcome = `${context} -> ${answer.status} ${answer.problem?.code}: ${answer.problem?.detail}`;
  expect(answer.problem, `${outcome} ${answer.text.slice(0, 200)}`).toBeDefined();
  expect(answer.status, outcome).toBeGreaterThanOrEqual(400);
  expect(answer.status, outcome).toBeLessThan(500);
  if (documented403(walked, answer)) return;
  expect([...codes, "rate_limited"], outcome).toContain(answer.problem?.code);
}

/** Anything but a 5xx; an error is a problem document (`readAnswer` checks that). */
async function expectNoFailure(walked: WalkedOperation, attempt: Attempt, mode: Mode) {
  const answer = await request(walked, attempt, mode);
  const context = `${contextOf(walked, attempt)}${modeLabel(mode)} -> ${answer.status} ${answer.text.slice(0, 200)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (mode === "cookie") expect(answer.problem?.code, context).not.toBe("csrf_failed");
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

    for (const mode of MODES) {
      const label = modeLabel(mode);
      // A read ignores an Idempotency-Key and checks no CSRF token: there the further modes try the valid
      // request and invalid parameters only.
      const full = mode === "bearer" || isStateChanging(walked);

      it(`lets its own valid example past validation, so each refusal below is the mutation's${label}`, async () => {
        // In cookie mode the refresh token travels as the cookie: the valid request has an empty object.
        const example = mode === "cookie" && walked.path === REFRESH_PATH ? "{}" : body();
        const attempt = { url: concreteUrl(document, walked), body: example };
        const answer = await request(walked, attempt, mode);
        const context = `${contextOf(walked, attempt)}${label} -> ${answer.status} ${answer.text.slice(0, 200)}`;
        expect(answer.status, context).toBeLessThan(500);
        if (answer.problem) {
          expect(VALIDATION_CODES, context).not.toContain(answer.problem.code);
          expect(answer.problem.code, context).not.toBe("csrf_failed");
          if (isSecured(document, walked)) expect(answer.problem.code, context).not.toBe("unauthorized");
        }
      });

      if (bodySchema) {
        for (const family of invalidBodies(components, bodySchema)) {
          it(`refuses ${family.kind} with 422${label}`, async () => {
            const url = concreteUrl(document, walked);
            await fc.assert(
              fc.asyncProperty(family.bodies, (text) =>
                expectRefused(walked, { url, body: text }, ["validation_failed"], mode),
              ),
              runsIn(mode, RUNS),
            );
          });
        }

        it(`refuses malformed JSON with 400${label}`, async () => {
          const url = concreteUrl(document, walked);
          await fc.assert(
            fc.asyncProperty(malformedBodies(components, bodySchema), (text) =>
              expectRefused(walked, { url, body: text }, ["malformed_json"], mode),
            ),
            runsIn(mode, RUNS),
          );
        });

        const nasty = nastyBodies(components, bodySchema);
        const nastyInMode = mode === "bearer" ? nasty : sample(nasty, EXTRA_NASTY, seedOf(mode));
        if (nastyInMode.length > 0) {
          it(`never fails on any nasty character (bidi marks, NUL, lone surrogates) in any free-text field${label}`, async () => {
            const url = concreteUrl(document, walked);
            for (const text of nastyInMode) await expectNoFailure(walked, { url, body: text }, mode);
          });
        }

        const hostile = hostileValidBodies(components, bodySchema);
        if (hostile) {
          it(`never fails on random hostile text in a free-text field${label}`, async () => {
            const url = concreteUrl(document, walked);
            await fc.assert(
              fc.asyncProperty(hostile, (text) => expectNoFailure(walked, { url, body: text }, mode)),
              runsIn(mode, HOSTILE_RUNS, EXTRA_HOSTILE_RUNS),
            );
          });
        }
      }

      for (const parameter of parameters) {
        const values = invalidParameterValues(components, parameter.schema);
        const where = `${parameter.in} parameter "${parameter.name}"`;
        const codes = parameter.in === "path" ? ["invalid_parameters", "not_found"] : ["invalid_parameters"];
        if (values) {
          it(`refuses an invalid ${where}${label}`, async () => {
            await fc.assert(
              fc.asyncProperty(values, (value) =>
                expectRefused(
                  walked,
                  { url: withParameter(walked, parameter.in, parameter.name, value), body: body() },
                  codes,
                  mode,
                ),
              ),
              runsIn(mode, RUNS),
            );
          });
        }
        if (parameter.in === "query" && parameter.required) {
          it(`refuses a missing ${where}${label}`, async () => {
            const url = concreteUrl(document, walked, { query: { [parameter.name]: undefined } });
            await expectRefused(walked, { url, body: body() }, codes, mode);
          });
        }
      }

      if (full && parametersIn(walked, "query").length > 0) {
        it(`never fails on unknown query parameters with hostile names and values${label}`, async () => {
          await fc.assert(
            fc.asyncProperty(unknownQueryParameters, (extra) => {
              const query = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, percentEncode(v)]));
              return expectNoFailure(
                walked,
                { url: concreteUrl(document, walked, { query }), body: body() },
                mode,
              );
            }),
            runsIn(mode, HOSTILE_RUNS, EXTRA_HOSTILE_RUNS),
          );
        });
      }
    }
  });
}

describe("the Idempotency-Key header itself", () => {
  const honouring = operations.filter(honoursIdempotencyKey);

  it("is documented by the routes that move money", () => {
    expect(honouring.length).toBeGreaterThan(0);
  });

  /** The operation's valid example with the key; only the key is wrong. */
  const withKey = (walked: WalkedOperation, key: string) => {
    const example = exampleBody(document, walked);
    const attempt = {
      url: concreteUrl(document, walked),
      body: example === undefined ? undefined : serialize(example),
    };
    const headers = { ...headersFor(walked, attempt, "bearer", OTHER_KEYS), "idempotency-key": key };
    return { attempt, response: send(attempt.url, { method: walked.method, headers, body: attempt.body }) };
  };

  it("is refused with 400 when malformed (empty, blank, too long, control characters, not ASCII) where honoured", async () => {
    for (const walked of honouring) {
      for (const key of MALFORMED_IDEMPOTENCY_KEYS) {
        const { attempt, response } = withKey(walked, key);
        const answer = await readAnswer(
          await response,
          `${contextOf(walked, attempt)} key ${JSON.stringify(key)}`,
        );
        const outcome = `${nameOf(walked)} key ${excerpt(key, 40)} -> ${answer.status} ${answer.text.slice(0, 200)}`;
        expect(answer.status, outcome).toBe(400);
        expect(answer.problem?.code, outcome).toBe("invalid_parameters");
        expect(answer.replayed, outcome).toBe(false);
      }
    }
  });

  // Last of the suite: some of these requests end sessions (logout), which no later request relies on.
  it("is harmless where not honoured, even malformed: never a 5xx, never a replay", async () => {
    const others = operations.filter((walked) => !honoursIdempotencyKey(walked));
    expect(others.length).toBeGreaterThan(0);
    for (const [index, walked] of others.entries()) {
      const key = sample(MALFORMED_IDEMPOTENCY_KEYS, 1, SEED + index)[0] as string;
      const { attempt, response } = withKey(walked, key);
      const answer = await readAnswer(
        await response,
        `${contextOf(walked, attempt)} key ${JSON.stringify(key)}`,
      );
      const outcome = `${nameOf(walked)} key ${excerpt(key, 40)} -> ${answer.status} ${answer.text.slice(0, 200)}`;
      expect(answer.status, outcome).toBeLessThan(500);
      expect(answer.replayed, outcome).toBe(false);
    }
  });
});

it("stored no refusal of bad input as a replayable answer", async () => {
  const stored = (prefix: string) =>
    query<{ key: string; route: string; response_status: number; response_body: string }>(
      sql`select key, route, response_status, response_body from idempotency_keys where key like ${`${prefix}-%`}`,
    );
  // The keys of this suite do reach the store (a valid request on an unknown portfolio is a decided 404)...
  expect((await stored(OTHER_KEYS)).length).toBeGreaterThan(0);
  // ...but under bad input only a decided refusal (an unknown resource) may be, never a success, and never a
  // refusal a corrected retry must not get again.
  for (const row of await stored(REFUSED_KEYS)) {
    const where = `${row.route} ${row.key} -> ${row.response_status} ${row.response_body.slice(0, 200)}`;
    expect(row.response_status, where).toBeGreaterThanOrEqual(400);
    expect(row.response_status, where).toBeLessThan(500);
    const { code } = JSON.parse(row.response_body) as { code: string };
    expect(NOT_STORED_CODES.has(code), where).toBe(false);
  }
});
