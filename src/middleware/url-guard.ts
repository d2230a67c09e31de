import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";

/**
 * Refuses U+0000 anywhere in the path or query (as `%00`): no Postgres text value can hold it, so a
 * parameter carrying one would otherwise fail deep in a query instead of as the client's mistake.
 */
export function urlGuard(): MiddlewareHandler<AppEnv> {
  return async function urlGuard(c, next) {
    const url = new URL(c.req.url);
    for (const [location, raw] of [
      ["path", url.pathname],
      ["query", url.search],
    ] as const) {
      if (/%00/i.test(raw) || raw.includes("\u0000")) {
        throw new AppError("invalid_parameters", `The ${location} must not contain U+0000.`, {
          errors: [
            { location, pointer: location, message: "must not contain U+0000", code: "invalid_string" },
          ],
        });
      }
    }
    return next();
  };
}
