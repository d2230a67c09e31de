import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { verifyAccessToken } from "../services/auth/jwt";
import type { UserCaller } from "../services/context";
import type { RateLimitPolicy } from "../services/rate-limit/rules";
import { API_KEY_PATTERN, keyHashOf, knownKeyTenant, resolveApiKey } from "../services/tenancy/api-keys";
import { enforceRateLimits, knownQuotasOf, tenantQuota } from "./rate-limit";

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|fek_[A-Za-z0-9_-]{43})$/;

/** A quota no tenant reaches: the count is made, and judged when the tenant's own quota is read. */
const UNJUDGED = { requestsPerMinute: Number.MAX_SAFE_INTEGER };

export interface AuthenticateOptions {
  /** Accept API keys as well as access tokens (account routes take users only). */
  apiKeys?: boolean;
  /** Count the request against the tenant's quota too (tenant-scoped routes). */
  tenantQuota?: boolean;
  /**
   * A route answered at the edge: the session authority is asked for the user's standing too, and the request
   * is validated while that hop is out - `authorize` awaits it, alongside its own hop to the tenant's
   * authority, and a refusal still replaces whatever validation answered.
   */
  atEdge?: boolean;
}

// RFC 6750 s3: every 401 for a bearer credential carries the challenge.
export const refused = (detail: string, invalid: boolean, cause?: unknown) =>
  new AppError("unauthorized", detail, {
    headers: {
      "WWW-Authenticate": invalid
        ? 'Bearer realm="finedge", error="invalid_token"'
        : 'Bearer realm="finedge"',
    },
    cause,
  });

/**
 * Requires a valid access token - and asks the user's session authority whether it still stands, so a
 * logout, revoked session, password change or disabled account takes effect on the very next request -
 * or, where the route allows machines, a live API key.
 */
export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const credential = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
    if (!credential) throw refused("A bearer access token is required.", false);
    let started: { admission: Promise<void> };
    if (API_KEY_PATTERN.test(credential)) {
      if (!options.apiKeys) throw refused("This endpoint needs a user's access token, not an API key.", true);
      started = await authenticateKey(c, credential, options);
    } else {
      started = await authenticateUser(c, credential, options);
    }
    const { admission } = started;
    // A key still to be resolved is resolved by `authorize` (its tenant's authority), which awaits these too.
    if (!options.atEdge && !c.get("context").pendingKey) {
      await admission;
      await next();
      return;
    }
    // Handled here too, so a request that never reaches `authorize` leaves no rejection unobserved; awaited
    // after, so a refusal replaces whatever validation answered.
    admission.catch(() => undefined);
    c.get("context").admission = admission;
    await next();
    await admission;
  };
}

/**
 * The remote checks of a verified credential, side by side rather than one after another: each is a hop
 * (a Durable Object, the rate limiter), and none needs another's answer. A refused token wins over a 429.
 */
async function alongside(
  check: Promise<boolean>,
  limits: Promise<void>,
  refusal: () => AppError,
): Promise<void> {
  const [verdict, counted] = await Promise.allSettled([check, limits]);
  if (verdict.status === "rejected") throw verdict.reason;
  if (!verdict.value) throw refusal();
  if (counted.status === "rejected") throw counted.reason;
}

/**
 * The rate-limit counts of a verified caller: its own limit (the route's policy) and, on tenant-scoped routes,
 * its tenant's quota - by the quota this isolate last read or, when it has read none, counted now and judged
 * by `authorize` once the caller's standing (which carries the quota) is read: never a round trip first.
 */
function limitsOf(
  c: Context<AppEnv>,
  options: AuthenticateOptions,
  caller: string,
  tenantId: string,
  quotas = knownQuotasOf(tenantId),
) {
  const policy = c.get("rateLimitPolicy");
  const counts: Array<[RateLimitPolicy, string] | undefined> = [policy && [policy, caller]];
  if (options.tenantQuota) {
    counts.push(tenantQuota(c, tenantId, quotas ?? UNJUDGED));
  }
  return enforceRateLimits(c, counts);
}

/** Verifies an access token and sets the caller; returns its remote checks, still out. */
async function authenticateUser(
  c: Context<AppEnv>,
  token: string,
  options: AuthenticateOptions,
): Promise<{ admission: Promise<void> }> {
  const context = c.get("context");
  const { config } = context;
  const keys = await context.signingKeys();
  const claims = await verifyAccessToken(keys, token, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }).catch((error: unknown) => {
    throw refused("The access token is invalid or expired.", true, error);
  });
  const caller: UserCaller = {
    kind: "user",
    userId: claims.sub,
    tenantId: claims.tid,
    role: claims.role,
    sessionId: claims.sid,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
  context.caller = caller;
  c.set("userId", claims.sub);
  c.set("tenantId", claims.tid);
  const admission = alongside(
    (async () => {
      const verdict = await context
        .sessionAuthority(claims.sub)
        .check(
          { jti: claims.jti, sid: claims.sid, iat: claims.iat },
          Math.floor(context.now().getTime() / 1000),
          { standing: options.atEdge === true },
        );
      if (verdict.valid) {
        caller.stepUp = verdict.stepUp;
        if (verdict.generation !== undefined) {
          caller.edge = { standing: verdict.standing, generation: verdict.generation };
        }
      }
      return verdict.valid;
    })(),
    limitsOf(c, options, `user:${claims.sub}`, claims.tid),
    () => refused("The access token is invalid or expired.", true),
  );
  return { admission };
}

/** The refusal of a key that is unknown, revoked, expired, or whose tenant is suspended. */
export const keyRefused = () => refused("The API key is invalid, expired or revoked.", true);

/**
 * Resolves an API key and sets the caller; returns its rate-limit counts, still out. A key whose tenant this
 * isolate knows is not read from the database here: `authorize` asks the tenant's authority for it (alongside
 * the model, on a route answered at the edge), while the request is validated and its limits counted.
 */
async function authenticateKey(
  c: Context<AppEnv>,
  secret: string,
  options: AuthenticateOptions,
): Promise<{ admission: Promise<void> }> {
  const context = c.get("context");
  const hash = await keyHashOf(secret);
  // Counted by the key's hash, which both ways of resolving it know before anything is read.
  const limiterKey = `key:${hash.slice(0, 32)}`;
  const tenantId = knownKeyTenant(hash);
  if (tenantId) {
    context.pendingKey = { hash, tenantId };
    c.set("tenantId", tenantId);
    return { admission: limitsOf(c, options, limiterKey, tenantId) };
  }
  const resolved = await resolveApiKey(context.database, hash, context.now());
  if (!resolved) throw keyRefused();
  const { key, quotas } = resolved;
  context.caller = {
    kind: "api_key",
    tenantId: key.tenantId,
    apiKeyId: key.id,
    scopes: key.scopes,
    organizationId: key.organizationId,
    quotas,
  };
  if (options.atEdge) context.pendingKey = { hash, tenantId: key.tenantId, resolved };
  c.set("tenantId", key.tenantId);
  return { admission: limitsOf(c, options, limiterKey, key.tenantId, quotas) };
}

/** The signed-in user of a route behind `authenticate` (users only: an API key is 401 here). */
export function authOf(c: Context<AppEnv>): UserCaller {
  const caller = c.get("context").caller;
  if (caller?.kind !== "user") throw new AppError("unauthorized", "Authentication is required.");
  return caller;
}
