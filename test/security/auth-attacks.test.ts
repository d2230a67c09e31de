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
  type WalkedOperation,
} from "./openapi-walk";
import { send } from "./worker";

const bindings = env as unknown as Bindings;
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

/** A valid request to the operation (example body and parameters); only the credentials vary. */
function attempt(walked: WalkedOperation, authorization: string | undefined): Promise<Response> {
  const headers: Record<string, string> = exampleHeaders(document, walked);
  const example = exampleBody(document, walked);
  if (example !== undefined) headers["content-type"] = "application/json";
  if (authorization !== undefined) headers.authorization = authorization;
  const body = example === undefined ? undefined : serialize(example);
  return send(concreteUrl(document, walked), { method: walked.method, headers, body });
}

const describeCredentials = (authorization: string | undefined) =>
  authorization === undefined ? "no Authorization" : JSON.stringify(authorization.slice(0, 60));

/** 401 `unauthorized` problem, with the hardened headers every answer carries. */
async function expectUnauthorized(walked: WalkedOperation, authorization: string | undefined) {
  const response = await attempt(walked, authorization);
  const context = `${nameOf(walked)} with ${describeCredentials(authorization)}`;
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
