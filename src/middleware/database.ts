import type { MiddlewareHandler } from "hono";
import { RequestDatabase } from "../db/client";
import type { AppEnv } from "../env";

/**
 * Gives the request a lazily-opened database (`c.var.database`) and closes it once the response is
 * ready, through `waitUntil` so closing does not delay the response. Work a handler queued for after the
 * response (`afterResponse` in routes/after-response) runs first, on the same connection.
 */
export function database(): MiddlewareHandler<AppEnv> {
  return async function database(c, next) {
    const { DATABASE_URL, WS_RELAY } = c.var.config;
    const handle = new RequestDatabase(DATABASE_URL ? { url: DATABASE_URL, relay: WS_RELAY } : undefined);
    c.set("database", handle);
    try {
      await next();
    } finally {
      const closing = handle.settle().catch(() => undefined);
      try {
        c.executionCtx.waitUntil(closing);
      } catch {
        await closing; // no execution context (a direct app.request call)
      }
    }
  };
}
