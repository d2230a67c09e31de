import { base64url, CompactSign, decodeJwt, decodeProtectedHeader, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import {
  issueAccessToken,
  issueMfaToken,
  verifyAccessToken,
  verifyMfaToken,
} from "../../../src/services/auth/jwt";
import { generateSigningKey, loadSigningKeys, type SigningKeys } from "../../../src/services/auth/keys";

// A fixed clock far from the real one: nothing here passes by accident of the wall clock.
const NOW = new Date("2030-01-15T12:00:00Z");
const T = NOW.getTime() / 1000;
const at = (seconds: number) => new Date((T + seconds) * 1000);
const options = { issuer: "https://api.finedge.test", audience: "finedge-api", now: NOW };
const user = { userId: "user-1", tenantId: "tenant-1", role: "analyst", sessionId: "session-1" };
const ACCESS_DETAIL = "The access token is invalid or expired.";
// Refused by the algorithm allow-list itself, before any key is chosen (not by a later, incidental check).
const ALG_NOT_ALLOWED = /"alg" \(Algorithm\) Header Parameter value not allowed/;

let keys: SigningKeys;
let stranger: JWK;
beforeAll(async () => {
  keys = await loadSigningKeys(JSON.stringify([await generateSigningKey("k-current")]));
  stranger = await generateSigningKey("k-stranger");
});

const accessPayload = (overrides: Record<string, unknown> = {}) => ({
  iss: options.issuer,
  aud: options.audience,
  sub: user.userId,
  tid: user.tenantId,
  role: user.role,
  sid: user.sessionId,
  jti: "11111111-2222-4333-8444-555555555555",
  iat: T,
  exp: T + 900,
  ...overrides,
});
const accessHeader = (overrides: Record<string, unknown> = {}) => ({
  alg: "EdDSA",
  typ: "at+jwt",
  kid: "k-current",
  ...overrides,
});

/** Signs any header and payload by hand, so each attack changes exactly one thing. */
const craft = (header: Record<string, unknown>, payload: unknown, key?: CryptoKey | Uint8Array) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key ?? keys.current.key);
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

async function refusal(verifying: Promise<unknown>, detail = ACCESS_DETAIL): Promise<string> {
  try {
    await verifying;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("unauthorized");
    expect((error as AppError).detail).toBe(detail);
    return String((error as AppError).cause);
  }
  throw new Error("the token was accepted");
}

describe("access tokens", () => {
  it("round-trips every claim with an RFC 9068 header and a 15-minute default lifetime", async () => {
    const issued = await issueAccessToken(keys, user, options);
    expect(issued.expiresIn).toBe(900);
    expect(issued.expiresAt).toEqual(at(900));
    expect(issued.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: "EdDSA", typ: "at+jwt", kid: "k-current" });
    expect(decodeJwt(issued.token)).toMatchObject({ iss: options.issuer, aud: options.audience });
    expect(await verifyAccessToken(keys, issued.token, options)).toEqual({
      sub: "user-1",
      tid: "tenant-1",
      role: "analyst",
      sid: "session-1",
      jti: issued.jti,
      iat: T,
      exp: T + 900,
    });
    const other = await issueAccessToken(keys, user, { ...options, ttlSeconds: 60 });
    expect(other.jti).not.toBe(issued.jti);
    expect(other.expiresAt).toEqual(at(60));
  });

  it("accepts a hand-crafted token, so every refusal below is caused by the one thing changed", async () => {
    const token = await craft(accessHeader(), accessPayload());
    expect((await verifyAccessToken(keys, token, options)).role).toBe("analyst");
  });

  it("still verifies tokens of the previous key after rotation, and not once that key is removed", async () => {
    const old = await generateSigningKey("k-old");
    const fresh = await generateSigningKey("k-new");
    const before = await loadSigningKeys(JSON.stringify([old]));
    const token = (await issueAccessToken(before, user, options)).token;
    const rotated = await loadSigningKeys(JSON.stringify([fresh, old]));
    expect((await verifyAccessToken(rotated, token, options)).sub).toBe("user-1");
    expect(decodeProtectedHeader((await issueAccessToken(rotated, user, options)).token).kid).toBe("k-new");
    const retired = await loadSigningKeys(JSON.stringify([fresh]));
    expect(await refusal(verifyAccessToken(retired, token, options))).toMatch(/unknown kid/);
  });

  it("refuses alg none in any capitalisation (RFC 8725 s2.1)", async () => {
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const token = `${encode(accessHeader({ alg }))}.${encode(accessPayload())}.`;
      expect(await refusal(verifyAccessToken(keys, token, options)), alg).toMatch(ALG_NOT_ALLOWED);
    }
  });

  it("refuses HS256 signed with the public key (key confusion)", async () => {
    const publicJwk = keys.jwks.keys[0];
    const secrets = [
      base64url.decode(publicJwk?.x ?? ""),
      new TextEncoder().encode(JSON.stringify(publicJwk)),
    ];
    for (const secret of secrets) {
      const token = await craft(accessHeader({ alg: "HS256" }), accessPayload(), secret);
      expect(await refusal(verifyAccessToken(keys, token, options))).toMatch(ALG_NOT_ALLOWED);
    }
  });

  it("refuses a kid that is not in the local key set, whatever it looks like", async () => {
    for (const kid of ["../../etc/passwd", "' OR 1=1 --", "k-current ", "K-CURRENT", "__proto__", 7, null]) {
      const token = await craft(accessHeader({ kid }), accessPayload());
      expect(await refusal(verifyAccessToken(keys, token, options)), String(kid)).toMatch(/unknown kid/);
    }
    const token = await craft(accessHeader({ kid: undefined }), accessPayload());
    expect(await refusal(verifyAccessToken(keys, token, options))).toMatch(/unknown kid/);
  });

  it("refuses jku, x5u and embedded jwk headers, signed by the attacker or even by our key", async () => {
    const attacker = await generateSigningKey("k-current");
    const { d: _d, ...attackerPublic } = attacker;
    const attackerKey = (await loadSigningKeys(JSON.stringify([attacker]))).current.key;
    const headers = [
      { jku: "https://attacker.example/jwks.json" },
      { x5u: "https://attacker.example/cert.pem" },
      { jwk: attackerPublic },
      { x5c: ["MIIB"] },
    ];
    for (const extra of headers) {
      for (const key of [attackerKey, keys.current.key]) {
        const token = await craft(accessHeader(extra), accessPayload(), key);
        expect(await refusal(verifyAccessToken(keys, token, options))).toMatch(/header members not allowed/);
      }
    }
  });

  it("refuses a token signed by a key outside the set, even under a known kid", async () => {
    const strangerKey = (await loadSigningKeys(JSON.stringify([stranger]))).current.key;
    const unknown = await craft(accessHeader({ kid: "k-stranger" }), accessPayload(), strangerKey);
    expect(await refusal(verifyAccessToken(keys, unknown, options))).toMatch(/unknown kid/);
    const impostor = await craft(accessHeader(), accessPayload(), strangerKey);
    expect(await refusal(verifyAccessToken(keys, impostor, options))).toMatch(
      /signature verification failed/,
    );
  });

  it("refuses a tampered payload", async () => {
    const [header, , signature] = (await issueAccessToken(keys, user, options)).token.split(".");
    const forged = `${header}.${encode(accessPayload({ role: "owner" }))}.${signature}`;
    expect(await refusal(verifyAccessToken(keys, forged, options))).toMatch(/signature verification failed/);
  });

  it("refuses expired tokens, allowing at most 5 s of clock skew", async () => {
    const early = { ...options, now: at(-903) };
    const justExpired = (await issueAccessToken(keys, user, early)).token;
    expect((await verifyAccessToken(keys, justExpired, options)).exp).toBe(T - 3);
    const expired = (await issueAccessToken(keys, user, { ...options, now: at(-906) })).token;
    expect(await refusal(verifyAccessToken(keys, expired, options))).toMatch(/"exp" claim/);
  });

  it("checks expiry on every use of a token, also one it has verified before", async () => {
    const token = (await issueAccessToken(keys, user, options)).token;
    const first = await verifyAccessToken(keys, token, options);
    expect(await verifyAccessToken(keys, token, { ...options, now: at(904) })).toEqual(first);
    expect(await refusal(verifyAccessToken(keys, token, { ...options, now: at(906) }))).toMatch(
      /"exp" claim/,
    );
    // Another audience or issuer is another question, whatever was answered before.
    const other = { ...options, audience: "another-api" };
    expect(await refusal(verifyAccessToken(keys, token, other))).toMatch(/"aud" claim/);
  });

  it("refuses a token not yet valid (future nbf)", async () => {
    const soon = await craft(accessHeader(), accessPayload({ nbf: T + 3 }));
    expect((await verifyAccessToken(keys, soon, options)).sub).toBe("user-1");
    const future = await craft(accessHeader(), accessPayload({ nbf: T + 60 }));
    expect(await refusal(verifyAccessToken(keys, future, options))).toMatch(/"nbf" claim/);
  });

  it("refuses a wrong audience or issuer", async () => {
    const token = (await issueAccessToken(keys, user, options)).token;
    const wrongAud = { ...options, audience: "another-api" };
    expect(await refusal(verifyAccessToken(keys, token, wrongAud))).toMatch(/"aud" claim/);
    const wrongIss = { ...options, issuer: "https://attacker.example" };
    expect(await refusal(verifyAccessToken(keys, token, wrongIss))).toMatch(/"iss" claim/);
  });

  it("refuses any typ but exactly at+jwt", async () => {
    for (const typ of ["JWT", "mfa+jwt", "AT+JWT", "application/at+jwt", "", undefined]) {
      const token = await craft(accessHeader({ typ }), accessPayload());
      expect(await refusal(verifyAccessToken(keys, token, options)), String(typ)).toMatch(/typ/);
    }
  });

  it("refuses missing or mistyped claims", async () => {
    const broken = ["sub", "tid", "role", "sid", "jti", "iat", "exp", "iss", "aud"].map((claim) =>
      accessPayload({ [claim]: undefined }),
    );
    broken.push(accessPayload({ role: 42 }), accessPayload({ tid: "" }), accessPayload({ exp: "soon" }));
    for (const payload of broken) {
      const token = await craft(accessHeader(), payload);
      await refusal(verifyAccessToken(keys, token, options));
    }
    for (const token of ["", "a.b", "a.b.c", "...."]) await refusal(verifyAccessToken(keys, token, options));
  });
});

describe("MFA challenge tokens", () => {
  const MFA_DETAIL = "The MFA token is invalid or expired.";
  const challenge = { userId: "user-1", tenantId: "tenant-1" };

  it("round-trips with their own typ and audience and a 5-minute default lifetime", async () => {
    const issued = await issueMfaToken(keys, challenge, options);
    expect(issued.expiresAt).toEqual(at(300));
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: "EdDSA", typ: "mfa+jwt", kid: "k-current" });
    expect(decodeJwt(issued.token).aud).not.toBe(options.audience);
    expect(await verifyMfaToken(keys, issued.token, options)).toEqual({
      sub: "user-1",
      tid: "tenant-1",
      jti: issued.jti,
      exp: T + 300,
    });
    const late = { ...options, now: at(306) };
    expect(await refusal(verifyMfaToken(keys, issued.token, late), MFA_DETAIL)).toMatch(/"exp" claim/);
  });

  it("is never accepted as an access token, nor an access token as an MFA token", async () => {
    const mfa = (await issueMfaToken(keys, challenge, options)).token;
    expect(await refusal(verifyAccessToken(keys, mfa, options))).toMatch(/typ/);
    const access = (await issueAccessToken(keys, user, options)).token;
    expect(await refusal(verifyMfaToken(keys, access, options), MFA_DETAIL)).toMatch(/typ/);
    // Even relabelled at+jwt, a challenge is addressed to another audience.
    const relabelled = await craft(accessHeader(), { ...accessPayload(), aud: decodeJwt(mfa).aud });
    expect(await refusal(verifyAccessToken(keys, relabelled, options))).toMatch(/"aud" claim/);
  });
});
