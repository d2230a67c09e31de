import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { signingKeys } from "../routes/auth/deps";
import { verifyAccessToken } from "../services/auth/jwt";
import { enforceRateLimit } from "./rate-limit";

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/**
 * Requires a valid access token, then asks the user's session authority whether it still stands: a
 * logout, revoked session, password change or disabled account takes effect on the very next request.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    if (!match?.[1]) {
      throw new AppError("unauthorized", "A bearer access token is required.", {
        headers: { "WWW-Authenticate": 'Bearer realm="finedge"' },
      });
    }
    const { config } = c.var;
    const keys = await signingKeys(c);
    const claims = await verifyAccessToken(keys, match[1], {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }).catch((error: unknown) => {
      // RFC 6750 s3: every 401 for a bearer token carries the challenge.
      throw new AppError("unauthorized", "The access token is invalid or expired.", {
        headers: { "WWW-Authenticate": 'Bearer realm="finedge", error="invalid_token"' },
        cause: error,
      });
    });
    const authority = c.env.SESSION_AUTHORITY.get(c.env.SESSION_AUTHORITY.idFromName(claims.sub));
    const verdict = await authority.check(
      { jti: claims.jti, sid: claims.sid, iat: claims.iat },
      Math.floor(Date.now() / 1000),
    );
    if (!verdict.valid) {
      throw new AppError("unauthorized", "The access token is invalid or expired.", {
        headers: { "WWW-Authenticate": 'Bearer realm="finedge", error="invalid_token"' },
      });
    }
    c.set("auth", {
      userId: claims.sub,
      tenantId: claims.tid,
      role: claims.role,
      sessionId: claims.sid,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    });
    c.set("userId", claims.sub);
    c.set("tenantId", claims.tid);
    const policy = c.var.rateLimitPolicy;
    if (policy) await enforceRateLimit(c, policy, `user:${claims.sub}`);
    await next();
  };
}
