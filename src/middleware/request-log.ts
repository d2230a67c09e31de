import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { type LogLevel, log, loggablePath, logs } from "../logger";

/** Cloudflare's request metadata; absent in unit tests and partly absent offline. */
interface CfProperties {
  colo?: string;
  country?: string;
}

/**
 * One JSON line per request, written after the response is known. It records the path (with any
 * token-like segment redacted), never the query string or headers, so secrets cannot reach the log.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const level: LogLevel = status >= 500 ? "error" : status >= 400 ? "warn" : "info";
    const threshold = c.get("config")?.LOG_LEVEL ?? "info";
    // The runtime builds `request.cf` afresh on each access: only for a line that is written.
    if (!logs(threshold, level)) return;
    const cf = (c.req.raw as { cf?: CfProperties }).cf;
    log(threshold, level, {
      msg: "request",
      requestId: c.get("requestId"),
      method: c.req.method,
      path: loggablePath(c.req.path),
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      colo: cf?.colo,
      country: cf?.country,
      tenantId: c.get("tenantId"),
      userId: c.get("userId"),
    });
  };
}
