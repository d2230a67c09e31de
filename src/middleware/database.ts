import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { asLocalRequest, openDatabase } from "../services/context";

/**
 * Gives the request a lazily-opened database (`c.var.database`) and closes it once the response is
 * ready, through `waitUntil` so closing does not delay the response. Work a handler queued for after the
 * response (`afterResponse` in services/after-response) runs first, on the same connection.
 */
export function database(): MiddlewareHandler<AppEnv> {
  return async function database(c, next) {
    const config = c.get("config");
    const handle = openDatabase(config, c.get("requestId"));
    c.set("database", handle);
    const work = async () => {
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
    return asLocalRequest(config, c.get("requestId"), work);
  };
}
