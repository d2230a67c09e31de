import { type JWTPayload, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { AppError } from "../../errors";
import { SIGNING_ALGORITHM, type SigningKeys } from "./keys";

/** Explicit token types (RFC 8725 s3.11): a token of one kind is never accepted as another (ASVS 9.2.2). */
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const MFA_TOKEN_TYPE = "mfa+jwt";

/** Who issues and who accepts; `now` fixes the clock (tests, replays of a decision). */
export interface TokenOptions {
  issuer: string;
  audience: string;
  now?: Date;
}

/** The verified claims of an access token (RFC 9068 s2.2 plus the tenant, role and session). */
export interface AccessTokenClaims {
  sub: string;
  tid: string;
  role: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

/** The verified claims of an MFA challenge token; the caller records `jti` to make it single use. */
export interface MfaTokenClaims {
  sub: string;
  tid: string;
  jti: string;
  exp: number;
}

const CLOCK_TOLERANCE_SECONDS = 5;
// Only what we put in our own headers; jku, x5u, jwk, x5c, crit and b64 are refused outright (RFC 8725 s3.10).
const ALLOWED_HEADER_MEMBERS = new Set(["alg", "kid", "typ"]);
// A challenge token is for another audience too, so a verifier that skipped `typ` would still refuse it.
const mfaAudience = (audience: string) => `${audience}#mfa`;

const id = z.string().min(1).max(256);
const time = z.number().int().nonnegative();
const AccessClaimsSchema = z.object({ sub: id, tid: id, role: id, sid: id, jti: id, iat: time, exp: time });
const MfaClaimsSchema = z.object({ sub: id, tid: id, jti: id, iat: time, exp: time });

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

async function sign(keys: SigningKeys, typ: string, payload: JWTPayload, options: TokenOptions, ttl: number) {
  if (!Number.isInteger(ttl) || ttl <= 0) throw new RangeError("ttlSeconds must be a positive integer");
  const iat = epoch(options.now ?? new Date());
  const jti = crypto.randomUUID();
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ, kid: keys.current.kid })
    .setIssuer(options.issuer)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(keys.current.key);
  return { token, jti, expiresAt: new Date((iat + ttl) * 1000), expiresIn: ttl };
}

async function verify(
  keys: SigningKeys,
  token: string,
  typ: string,
  audience: string,
  options: TokenOptions,
) {
  const { payload } = await jwtVerify(
    token,
    (header) => {
      // The key comes from our own map only, never from the token (ASVS 9.1.3, RFC 8725 s3.10).
      const extra = Object.keys(header).filter((name) => !ALLOWED_HEADER_MEMBERS.has(name));
      if (extra.length > 0) throw new Error(`header members not allowed: ${extra.join(", ")}`);
      // jose would also accept "application/at+jwt" or other casings; we only ever issue the short form.
      if (header.typ !== typ) throw new Error("unexpected typ");
      const key = typeof header.kid === "string" ? keys.byKid.get(header.kid) : undefined;
      if (!key) throw new Error("unknown kid");
      return key;
    },
    {
      algorithms: [SIGNING_ALGORITHM], // never `none`, never HMAC with a public key (RFC 8725 s3.1, ASVS 9.1.2)
      typ,
      issuer: options.issuer,
      audience,
      requiredClaims: ["iss", "aud", "sub", "jti", "iat", "exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: options.now ?? new Date(),
    },
  );
  return payload;
}

/** Signs an RFC 9068 access token with the current key; 15 minutes unless `ttlSeconds` says otherwise. */
export async function issueAccessToken(
  keys: SigningKeys,
  claims: { userId: string; tenantId: string; role: string; sessionId: string },
  options: TokenOptions & { ttlSeconds?: number },
): Promise<{ token: string; jti: string; expiresAt: Date; expiresIn: number }> {
  const payload = { sub: claims.userId, tid: claims.tenantId, role: claims.role, sid: claims.sessionId };
  return sign(
    keys,
    ACCESS_TOKEN_TYPE,
    { ...payload, aud: options.audience },
    options,
    options.ttlSeconds ?? 900,
  );
}

/**
 * Access tokens this isolate has verified, per key set: a token is the same string on every request of its
 * life, so its signature (an Ed25519 verification, the largest piece of a read's CPU) is checked once. What
 * changes with time - expiry - is checked on every use, and revocation is the session authority's, asked on
 * every request. A key withdrawn from the set makes a new set, so its tokens verify afresh (and fail).
 */
const verifiedTokens = new WeakMap<SigningKeys, Map<string, Readonly<AccessTokenClaims>>>();
// About 1 KB each: a bound well inside an isolate's memory, above the tokens one isolate sees in 15 minutes.
const VERIFIED_TOKENS_MAX = 2_000;

function remember(
  keys: SigningKeys,
  existing: Map<string, Readonly<AccessTokenClaims>> | undefined,
  token: string,
  claims: Readonly<AccessTokenClaims>,
): void {
  let verified = existing;
  if (!verified) {
    verified = new Map();
    verifiedTokens.set(keys, verified);
  }
  // The oldest goes first (a Map iterates in insertion order).
  if (verified.size >= VERIFIED_TOKENS_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, claims);
}

/** Verifies an access token (ASVS 9.1-9.2); any failure is one generic 401, the reason kept in `cause`. */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  options: TokenOptions,
): Promise<AccessTokenClaims> {
  const verified = verifiedTokens.get(keys);
  const known = `${options.issuer}\n${options.audience}\n${token}`;
  const cached = verified?.get(known);
  const now = epoch(options.now ?? new Date());
  if (cached && cached.exp > now - CLOCK_TOLERANCE_SECONDS && cached.iat <= now + CLOCK_TOLERANCE_SECONDS)
    return cached;
  try {
    const payload = await verify(keys, token, ACCESS_TOKEN_TYPE, options.audience, options);
    const { sub, tid, role, sid, jti, iat, exp } = AccessClaimsSchema.parse(payload);
    const claims = Object.freeze({ sub, tid, role, sid, jti, iat, exp });
    // Only tokens valid from their issue on (ours carry no `nbf`): what is kept needs no check but expiry.
    if (payload.nbf === undefined) remember(keys, verified, known, claims);
    return claims;
  } catch (cause) {
    throw new AppError("unauthorized", "The access token is invalid or expired.", { cause });
  }
}

/** Signs a short-lived MFA challenge token (5 minutes by default) that proves the first factor only. */
export async function issueMfaToken(
  keys: SigningKeys,
  claims: { userId: string; tenantId: string },
  options: TokenOptions & { ttlSeconds?: number },
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const payload = { sub: claims.userId, tid: claims.tenantId, aud: mfaAudience(options.audience) };
  const { token, jti, expiresAt } = await sign(
    keys,
    MFA_TOKEN_TYPE,
    payload,
    options,
    options.ttlSeconds ?? 300,
  );
  return { token, jti, expiresAt };
}

/** Verifies an MFA challenge token as strictly as an access token; single use is the caller's (by jti). */
export async function verifyMfaToken(
  keys: SigningKeys,
  token: string,
  options: TokenOptions,
): Promise<MfaTokenClaims> {
  try {
    const payload = await verify(keys, token, MFA_TOKEN_TYPE, mfaAudience(options.audience), options);
    const { sub, tid, jti, exp } = MfaClaimsSchema.parse(payload);
    return { sub, tid, jti, exp };
  } catch (cause) {
    throw new AppError("unauthorized", "The MFA token is invalid or expired.", { cause });
  }
}
