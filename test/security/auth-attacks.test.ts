import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import type { Bindings } from "../../src/env";
import { loadSigningKeys } from "../../src/services/auth/keys";
import { loginUser, PASSWORD, registerUser } from "../integration/auth-helpers";
import { expectHardenedHeaders, expectProblem } from "./expectations";
import { ATTACKS, accessHeader, accessPayload, craft, type TokenContext } from "./forged-tokens";
import { serialize } from "./hostile-strings";
import {
  concreteUrl,
  exampleBody,
  exampleHeaders,
  fetchDocument,
  isSecured,
  nameOf,
  operationsOf,
  parametersIn,
  type WalkedOperation,
} from "./openapi-walk";
import {
  cookieHeaders,
  cookieSignIn,
  freshKey,
  honoursIdempotencyKey,
  isStateChanging,
  modeLabel,
  REFRESH_PATH,
  SIGN_IN_PATHS,
  seeded,
  tamperedCsrf,
} from "./request-modes";
import { send } from "./worker";

const bindings = env as unknown as Bindings;
const SEED = 20_260_420;
const document = await fetchDocument();
const secured = operationsOf(document).filter((walked) => isSecured(document, walked));
// A cheap secured read that tells whether a token (its session) still stands.
const probe = secured.find((walked) => walked.method === "GET" && !walked.path.includes("{"));

async function tokenContext(account: { access_token: string; refresh_token: string }): Promise<TokenContext> {
  const config = loadConfig(bindings);
  const { sub, tid, role, sid } = decodeJwt(account.access_token) as Record<string, string>;
  return {
    keys: await loadSigningKeys(bindings.JWT_SIGNING_KEYS ?? ""),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessToken: account.access_token,
    refreshToken: account.refresh_token,
    claims: { sub: String(sub), tid: String(tid), role: String(role), sid: String(sid) },
  };
}

/**
 * A valid request to the operation (example body and parameters); only the credentials vary - and the
 * headers of the request mode, when given (an Idempotency-Key, cookie mode's cookies and CSRF token).
 */
function attempt(
  walked: WalkedOperation,
  authorization: string | undefined,
  extra: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...exampleHeaders(document, walked), ...extra };
  const example = exampleBody(document, walked);
  if (example !== undefined) headers["content-type"] = "application/json";
  if (authorization !== undefined) headers.authorization = authorization;
  const body = example === undefined ? undefined : serialize(example);
  return send(concreteUrl(document, walked), { method: walked.method, headers, body });
}

const describeCredentials = (authorization: string | undefined) =>
  authorization === undefined ? "no Authorization" : JSON.stringify(authorization.slice(0, 60));

/** 401 `unauthorized` problem, with the hardened headers every answer carries. */
async function expectUnauthorized(
  walked: WalkedOperation,
  authorization: string | undefined,
  extra: Record<string, string> = {},
  label = "",
) {
  const response = await attempt(walked, authorization, extra);
  const context = `${nameOf(walked)} with ${describeCredentials(authorization)}${label}`;
  const problem = await expectProblem(response, context);
  expect(response.status, `${context} -> ${problem.code}: ${problem.detail}`).toBe(401);
  expect(problem.code, context).toBe("unauthorized");
  // One generic message on the wire; the reason (which check failed) belongs in the log only.
  expect(problem.detail, context).not.toMatch(
    /\b(kid|alg|signature|typ|aud|iss|nbf|jku|x5u|jwk|header|revoked)\b/i,
  );
  expectHardenedHeaders(response, context);
  return response;
}

it("finds secured operations, and a secured read to probe sessions with, in the document", () => {
  expect(secured.length).toBeGreaterThan(0);
  expect(probe).toBeDefined();
});

it("lets a hand-crafted genuine token through on every secured route, so each refusal is the forgery's", async () => {
  const owner = await registerUser("attack-control");
  const base = await tokenContext(owner);
  const signIn = async () => {
    const login = await loginUser(owner.email, PASSWORD);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    return { ...base, claims: { ...base.claims, sid: String(login.body.session_id) } };
  };
  let context = await signIn();
  for (const walked of secured) {
    const authorization = `Bearer ${await craft(context, accessHeader(context), accessPayload(context))}`;
    const response = await attempt(walked, authorization);
    const text = await response.text();
    expect(response.status, `${nameOf(walked)} -> ${response.status} ${text}`).toBeLessThan(500);
    if (response.status === 401) expect(JSON.parse(text).code, nameOf(walked)).not.toBe("unauthorized");
    // A route may end the session it was called with (logout): continue on a new one.
    if ((await attempt(probe as WalkedOperation, authorization)).status === 401) context = await signIn();
  }
});

describe("forged, malformed and misused credentials", () => {
  let context: TokenContext;
  beforeAll(async () => {
    context = await tokenContext(await registerUser("attack"));
  });

  it("still accept the account's genuine token, so the session the forgeries borrow is live", async () => {
    const response = await attempt(probe as WalkedOperation, `Bearer ${context.accessToken}`);
    expect(response.status).toBe(200);
  });

  for (const attack of ATTACKS) {
    it(`refuses ${attack.name} on every secured route`, async () => {
      const variants = await attack.forge(context);
      expect(variants.length).toBeGreaterThan(0);
      for (const authorization of variants) {
        for (const walked of secured) await expectUnauthorized(walked, authorization);
      }
    });
  }

  it("names the Bearer scheme in WWW-Authenticate on every refusal (RFC 9110 s11.6.1, RFC 6750 s3)", async () => {
    const missing: string[] = [];
    for (const attack of ATTACKS) {
      for (const authorization of await attack.forge(context)) {
        const response = await attempt(probe as WalkedOperation, authorization);
        expect(response.status).toBe(401);
        if (!/^Bearer\b/.test(response.headers.get("www-authenticate") ?? "")) {
          missing.push(`${attack.name}: ${describeCredentials(authorization)}`);
        }
      }
    }
    expect(missing, "401 answers without a Bearer challenge").toEqual([]);
  });
});

/** The `sid` a forged bearer token claims, read without verifying it (as the CSRF check reads it). */
function claimedSession(authorization: string | undefined): string | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  try {
    const { sid } = token ? decodeJwt(token) : {};
    return typeof sid === "string" ? sid : undefined;
  } catch {
    return undefined;
  }
}

// In the further modes, every secured route where the mode changes what happens - it honours the key; it
// checks the CSRF token - meets one forgery drawn with a fixed seed: the full set above runs in bearer mode.
describe("forged credentials in the other request modes", () => {
  it("are refused with 401 on every route that honours an Idempotency-Key, with one", async () => {
    const context = await tokenContext(await registerUser("attack-idem"));
    const forged = await Promise.all(ATTACKS.map((attack) => attack.forge(context)));
    const random = seeded(SEED);
    const honouring = secured.filter(honoursIdempotencyKey);
    expect(honouring.length).toBeGreaterThan(0);
    for (const walked of honouring) {
      const variants = forged[Math.floor(random() * forged.length)] as Array<string | undefined>;
      const authorization = variants[Math.floor(random() * variants.length)];
      const key = { "idempotency-key": freshKey("attack") };
      await expectUnauthorized(walked, authorization, key, modeLabel("idempotency-key"));
    }
  });

  it("are refused in cookie mode on every secured state-changing route: 401, or 403 csrf_failed for another session's token", async () => {
    const account = await registerUser("attack-cookie");
    const session = await cookieSignIn(account.email);
    const context = await tokenContext({ access_token: session.accessToken, refresh_token: session.refresh });
    expect(context.claims.sid).toBe(session.sessionId);
    const forged = await Promise.all(ATTACKS.map((attack) => attack.forge(context)));
    const random = seeded(SEED + 1);
    for (const walked of secured.filter(isStateChanging)) {
      const variants = forged[Math.floor(random() * forged.length)] as Array<string | undefined>;
      const authorization = variants[Math.floor(random() * variants.length)];
      const headers = cookieHeaders(session, walked.path);
      const sid = claimedSession(authorization);
      if (sid === undefined || sid === session.sessionId) {
        await expectUnauthorized(walked, authorization, headers, modeLabel("cookie"));
        continue;
      }
      const response = await attempt(walked, authorization, headers);
      const where = `${nameOf(walked)} with ${describeCredentials(authorization)}${modeLabel("cookie")}`;
      expect(response.status, where).toBe(403);
      expect((await expectProblem(response, where)).code, where).toBe("csrf_failed");
    }
    // None of them ended or changed the session they borrowed from.
    expect((await attempt(probe as WalkedOperation, `Bearer ${session.accessToken}`)).status).toBe(200);
  });
});

/**
 * Cookie mode (README): a browser holds the CSRF cookie (`Path=/`) and, on the refresh path, the refresh
 * cookie. Every state-changing route then demands the signed double-submit token of the request's session,
 * and refuses cross-site requests; the sign-in routes, which take credentials in the body and set fresh
 * cookies, ask for no token but refuse cross-site requests all the same.
 */
describe("cookie mode on every state-changing route", async () => {
  const account = await registerUser("csrf");
  const session = await cookieSignIn(account.email);
  // Another session of the same account: its token is genuine, signed by the API - for the wrong session.
  const other = await cookieSignIn(account.email);
  const unsafe = operationsOf(document).filter(isStateChanging);
  const hasSession = (walked: WalkedOperation) =>
    isSecured(document, walked) || parametersIn(walked, "cookie").length > 0;
  const bearerFor = (walked: WalkedOperation) =>
    isSecured(document, walked) ? `Bearer ${session.accessToken}` : undefined;

  /** The answer must be 403 csrf_failed; on a sign-in route, whose token check is waived, anything else. */
  async function expectCsrfRefusal(
    walked: WalkedOperation,
    headers: Record<string, string>,
    what: string,
    waived = false,
  ) {
    const response = await attempt(walked, bearerFor(walked), headers);
    const where = `${nameOf(walked)} in cookie mode with ${what} -> ${response.status}`;
    if (waived && SIGN_IN_PATHS.has(walked.path)) {
      expect(response.status, where).toBeLessThan(500);
      if (response.status >= 400)
        expect((await expectProblem(response, where)).code, where).not.toBe("csrf_failed");
      else await response.body?.cancel();
      return;
    }
    const problem = await expectProblem(response, where);
    expect(response.status, `${where} ${problem.code}: ${problem.detail}`).toBe(403);
    expect(problem.code, where).toBe("csrf_failed");
    expect(response.headers.getSetCookie(), where).toEqual([]);
    expectHardenedHeaders(response, where);
  }

  it("has state-changing routes, secured and not, to attack", () => {
    expect(unsafe.filter((walked) => isSecured(document, walked)).length).toBeGreaterThan(0);
    expect(unsafe.filter((walked) => !isSecured(document, walked)).length).toBeGreaterThan(0);
  });

  it("refuses a request without X-CSRF-Token", async () => {
    for (const walked of unsafe) {
      await expectCsrfRefusal(walked, cookieHeaders(session, walked.path, null), "no X-CSRF-Token", true);
    }
  });

  // One wrong token and one foreign origin per route, drawn with a fixed seed: every kind meets many
  // routes and every route one of each, without multiplying the requests.
  const pick = seeded(SEED + 2);
  const drawn = <T>(items: T[]) => items[Math.floor(pick() * items.length)] as T;

  it("refuses a wrong X-CSRF-Token: tampered, not the cookie's, or signed for another session", async () => {
    for (const walked of unsafe) {
      const cases: Array<[string, Record<string, string>]> = [
        ["a tampered token", cookieHeaders({ ...session, csrf: tamperedCsrf(session.csrf) }, walked.path)],
        ["a header that differs from the cookie", cookieHeaders(session, walked.path, other.csrf)],
      ];
      // A token is bound to the request's session: the bearer token's, or on the refresh route the refresh
      // cookie's. A route with neither (a link from an e-mail, say) has no session to bind it to.
      if (hasSession(walked)) {
        cases.push(["another session's token", cookieHeaders({ ...session, csrf: other.csrf }, walked.path)]);
      }
      const [what, headers] = drawn(cases);
      await expectCsrfRefusal(walked, headers, what, true);
    }
  });

  it("refuses a cross-site request or a foreign Origin, even with a valid token", async () => {
    for (const walked of unsafe) {
      const valid = cookieHeaders(session, walked.path);
      const [what, headers] = drawn<[string, Record<string, string>]>([
        ["Sec-Fetch-Site: cross-site", { ...valid, "sec-fetch-site": "cross-site" }],
        ["a foreign Origin", { ...valid, origin: "https://evil.example" }],
        ["a sibling origin", { ...valid, origin: "https://evil.api.test" }],
      ]);
      await expectCsrfRefusal(walked, headers, what);
    }
  });

  it("changed nothing: the session still stands, with its refresh token unrotated", async () => {
    expect((await attempt(probe as WalkedOperation, `Bearer ${session.accessToken}`)).status).toBe(200);
    const refresh = await send(REFRESH_PATH, {
      method: "POST",
      headers: cookieHeaders(session, REFRESH_PATH),
    });
    expect(refresh.status, await refresh.clone().text()).toBe(200);
  });
});

it("refuses a token reused after logout on every secured route, and only that session's", async () => {
  const account = await registerUser("attack-logout");
  const login = await loginUser(account.email, PASSWORD);
  expect(login.status).toBe(200);
  const token = `Bearer ${login.body.access_token}`;
  expect((await attempt(probe as WalkedOperation, token)).status).toBe(200);
  const logout = await send("/api/v1/auth/logout", { method: "POST", headers: { authorization: token } });
  expect(logout.status).toBe(204);
  for (const walked of secured) await expectUnauthorized(walked, token);
  const other = await attempt(probe as WalkedOperation, `Bearer ${account.access_token}`);
  expect(other.status).toBe(200);
});
