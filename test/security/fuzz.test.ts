import { sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY_PATTERN } from "../../src/middleware/idempotency";
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
const RUNS = 10;
const HOSTILE_RUNS = 5;
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
 * The modes beyond bearer draw a sample of the same cases with a fixed seed - a few bad inputs of any family
 * per route - so each route meets every mode without multiplying the suite's time.
 */
const EXTRA_REFUSALS = 2;
const EXTRA_SURVIVALS = 1;
const seedOf = (mode: Mode, index: number) => SEED + 1_000 * MODES.indexOf(mode) + index;

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

/** The route's own valid request is no 5xx and gets past validation, CSRF and authentication. */
async function expectValidExample(walked: WalkedOperation, attempt: Attempt, mode: Mode) {
  const answer = await request(walked, attempt, mode);
  const context = `${contextOf(walked, attempt)}${modeLabel(mode)} -> ${answer.status} ${answer.text.slice(0, 200)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (answer.problem) {
    expect(VALIDATION_CODES, context).not.toContain(answer.problem.code);
    expect(answer.problem.code, context).not.toBe("csrf_failed");
    if (isSecured(document, walked)) expect(answer.problem.code, context).not.toBe("unauthorized");
  }
}
const withParameter = (walked: WalkedOperation, location: string, name: string, value: EncodedValue) =>
  concreteUrl(document, walked, { [location]: { [name]: value.encoded } });

it("finds operations with bodies and with parameters to attack", () => {
  expect(operations.filter((walked) => jsonBodySchema(document, walked)).length).toBeGreaterThan(0);
  expect(operations.filter((walked) => walked.operation.parameters?.length).length).toBeGreaterThan(0);
});

/** A family of bad input for a route, and the codes its refusal may carry. */
interface RefusalCase {
  name: string;
  attempts: fc.Arbitrary<Attempt>;
  codes: readonly string[];
  runs: number;
}

/** A family of odd but possibly valid input a route must survive. */
interface SurvivalCase {
  name: string;
  attempts: fc.Arbitrary<Attempt>;
  runs: number;
  /** Bearer mode sends every one of them, in order, rather than a generated sample. */
  every?: Attempt[];
}

for (const [index, walked] of operations.entries()) {
  const bodySchema = jsonBodySchema(document, walked);
  const parameters = [...parametersIn(walked, "path"), ...parametersIn(walked, "query")];
  if (!bodySchema && parameters.length === 0) continue;

  const body = () => {
    const example = exampleBody(document, walked);
    return example === undefined ? undefined : serialize(example);
  };
  const url = concreteUrl(document, walked);
  const refusals: RefusalCase[] = [];
  const survivals: SurvivalCase[] = [];
  if (bodySchema) {
    const withBody = (bodies: fc.Arbitrary<string>) => bodies.map((text): Attempt => ({ url, body: text }));
    for (const family of invalidBodies(components, bodySchema)) {
      refusals.push({
        name: `refuses ${family.kind} with 422`,
        attempts: withBody(family.bodies),
        codes: ["validation_failed"],
        runs: RUNS,
      });
    }
    refusals.push({
      name: "refuses malformed JSON with 400",
      attempts: withBody(malformedBodies(components, bodySchema)),
      codes: ["malformed_json"],
      runs: RUNS,
    });
    const nasty = nastyBodies(components, bodySchema).map((text): Attempt => ({ url, body: text }));
    if (nasty.length > 0) {
      survivals.push({
        name: "never fails on any nasty character (bidi marks, NUL, lone surrogates) in any free-text field",
        attempts: fc.constantFrom(...nasty),
        runs: nasty.length,
        every: nasty,
      });
    }
    const hostile = hostileValidBodies(components, bodySchema);
    if (hostile) {
      survivals.push({
        name: "never fails on random hostile text in a free-text field",
        attempts: withBody(hostile),
        runs: HOSTILE_RUNS,
      });
    }
  }
  for (const parameter of parameters) {
    const values = invalidParameterValues(components, parameter.schema);
    const where = `${parameter.in} parameter "${parameter.name}"`;
    const codes = parameter.in === "path" ? ["invalid_parameters", "not_found"] : ["invalid_parameters"];
    if (values) {
      refusals.push({
        name: `refuses an invalid ${where}`,
        attempts: values.map((value) => ({
          url: withParameter(walked, parameter.in, parameter.name, value),
          body: body(),
        })),
        codes,
        runs: RUNS,
      });
    }
    if (parameter.in === "query" && parameter.required) {
      refusals.push({
        name: `refuses a missing ${where}`,
        attempts: fc.constant(null).map(() => ({
          url: concreteUrl(document, walked, { query: { [parameter.name]: undefined } }),
          body: body(),
        })),
        codes,
        runs: 1,
      });
    }
  }
  if (parametersIn(walked, "query").length > 0) {
    survivals.push({
      name: "never fails on unknown query parameters with hostile names and values",
      attempts: unknownQueryParameters.map((extra) => {
        const query = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, percentEncode(v)]));
        return { url: concreteUrl(document, walked, { query }), body: body() };
      }),
      runs: HOSTILE_RUNS,
    });
  }

  describe(nameOf(walked), { timeout: TEST_TIMEOUT_MS }, () => {
    it("lets its own valid example past validation, so each refusal below is the mutation's", () =>
      expectValidExample(walked, { url, body: body() }, "bearer"));

    for (const refusal of refusals) {
      it(refusal.name, async () => {
        await fc.assert(
          fc.asyncProperty(refusal.attempts, (attempt) =>
            expectRefused(walked, attempt, refusal.codes, "bearer"),
          ),
          { ...options, numRuns: refusal.runs },
        );
      });
    }

    for (const survival of survivals) {
      it(survival.name, async () => {
        if (survival.every) {
          for (const attempt of survival.every) await expectNoFailure(walked, attempt, "bearer");
          return;
        }
        await fc.assert(
          fc.asyncProperty(survival.attempts, (attempt) => expectNoFailure(walked, attempt, "bearer")),
          { ...options, numRuns: survival.runs },
        );
      });
    }

    for (const mode of MODES.filter((m) => m !== "bearer")) {
      const label = modeLabel(mode);
      // Where the mode changes what the route does - it honours the key; it checks the CSRF token - the
      // valid request must still get through.
      const effective = mode === "cookie" ? isStateChanging(walked) : honoursIdempotencyKey(walked);
      if (effective) {
        it(`lets its own valid example past validation${label}`, () => {
          // In cookie mode the refresh token travels as the cookie: the valid request has an empty object.
          const example = mode === "cookie" && walked.path === REFRESH_PATH ? "{}" : body();
          return expectValidExample(walked, { url, body: example }, mode);
        });
      }

      if (refusals.length > 0) {
        it(`refuses a sample of the bad input above alike${label}`, async () => {
          const drawn = fc.oneof(
            ...refusals.map((refusal) => refusal.attempts.map((a) => [refusal, a] as const)),
          );
          await fc.assert(
            fc.asyncProperty(drawn, ([refusal, attempt]) =>
              expectRefused(walked, attempt, refusal.codes, mode),
            ),
            { ...options, seed: seedOf(mode, index), numRuns: EXTRA_REFUSALS },
          );
        });
      }

      if (survivals.length > 0 && effective) {
        it(`never fails on a sample of the odd input above${label}`, async () => {
          const drawn = fc.oneof(...survivals.map((survival) => survival.attempts));
          await fc.assert(
            fc.asyncProperty(drawn, (attempt) => expectNoFailure(walked, attempt, mode)),
            { ...options, seed: seedOf(mode, index), numRuns: EXTRA_SURVIVALS },
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

  it("allows printable ASCII only, as the contract and the middleware check it", () => {
    expect(IDEMPOTENCY_KEY_PATTERN.test("order-2026-12-03_01")).toBe(true);
    for (const key of ["clé", "ключ", "key\u00a0nbsp", "emoji-\u{1F600}"]) {
      expect(IDEMPOTENCY_KEY_PATTERN.test(key), key).toBe(false);
    }
  });

  it("is refused with 400 when malformed (empty, blank, too long, control characters) where honoured", async () => {
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
