import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { verifyAccessToken } from "../services/auth/jwt";
import type { UserCaller } from "../services/context";
import { API_KEY_PATTERN, resolveApiKey } from "../services/tenancy/api-keys";
import { enforceRateLimit } from "./rate-limit";

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|fek_[A-Za-z0-9_-]{43})$/;

export interface AuthenticateOptions {
  /** Accept API keys as well as access tokens (account routes take users only). */
  apiKeys?: boolean;
}

// RFC 6750 s3: every 401 for a bearer credential carries the challenge.
const refused = (detail: string, invalid: boolean, cause?: unknown) =>
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
    if (API_KEY_PATTERN.test(credential)) {
      if (!options.apiKeys) throw refused("This endpoint needs a user's access token, not an API key.", true);
      await authenticateKey(c, credential);
    } else {
      await authenticateUser(c, credential);
    }
    await next();
  };
}

async function authenticateUser(c: Context<AppEnv>, token: string): Promise<void> {
  const { context } = c.var;
  const { config } = context;
  const keys = await context.signingKeys();
  const claims = await verifyAccessToken(keys, token, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }).catch((error: unknown) => {
    throw refused("The access token is invalid or expired.", true, error);
  });
  const verdict = await context
    .sessionAuthority(claims.sub)
    .check({ jti: claims.jti, sid: claims.sid, iat: claims.iat }, Math.floor(context.now().getTime() / 1000));
  if (!verdict.valid) throw refused("The access token is invalid or expired.", true);
  context.caller = {
    kind: "user",
    userId: claims.sub,
    tenantId: claims.tid,
    role: claims.role,
    sessionId: claims.sid,
    tokenId: claims.jti,
    expiresAt: claims.exp,
    stepUp: verdict.stepUp,
  };
  c.set("userId", claims.sub);
  c.set("tenantId", claims.tid);
  const policy = c.var.rateLimitPolicy;
  if (policy) await enforceRateLimit(c, policy, `user:${claims.sub}`);
}

async function authenticateKey(c: Context<AppEnv>, secret: string): Promise<void> {
  const { context } = c.var;
  const resolved = await resolveApiKey(context.database, secret, context.now());
  if (!resolved) throw refused("The API key is invalid, expired or revoked.", true);
  const { key, quotas } = resolved;
  context.caller = {
    kind: "api_key",
    tenantId: key.tenantId,
    apiKeyId: key.id,
    scopes: key.scopes,
    organizationId: key.organizationId,
    quotas,
  };
  c.set("tenantId", key.tenantId);
  const policy = c.var.rateLimitPolicy;
  if (policy) await enforceRateLimit(c, policy, `key:${key.id}`);
}

/** The signed-in user of a route behind `authenticate` (users only: an API key is 401 here). */
export function authOf(c: Context<AppEnv>): UserCaller {
  const caller = c.var.context.caller;
  if (caller?.kind !== "user") throw new AppError("unauthorized", "Authentication is required.");
  return caller;
}
