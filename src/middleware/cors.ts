import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../env";

const exposed = [
  "X-Request-Id",
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "Location",
  // What the typed client reads: the refresh hint of a 401, and whether an idempotent answer was replayed.
  "WWW-Authenticate",
  "Idempotency-Replayed",
];

/**
 * CORS from the configured allow-list (`CORS_ORIGINS`): only listed origins are echoed, with credentials;
 * any other origin gets no CORS headers, so browsers refuse to share the response.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  const handlers = new WeakMap<readonly string[], MiddlewareHandler>();
  return async function cors(c, next) {
    const allowed = c.get("config").CORS_ORIGINS;
    let handler = handlers.get(allowed);
    if (!handler) {
      const origins = new Set(allowed);
      handler = honoCors({
        origin: (origin) => (origins.has(origin) ? origin : null),
        allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "Idempotency-Key",
          "X-Request-Id",
          "X-CSRF-Token",
          "X-Token-Delivery",
        ],
        exposeHeaders: exposed,
        credentials: true,
        maxAge: 600,
      });
      handlers.set(allowed, handler);
    }
    return handler(c, next);
  };
}
