import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../env";
import { type DataPoint, writePoint } from "../metrics";

/** Cloudflare's request metadata; absent in tests and partly offline. */
interface CfProperties {
  colo?: string;
}

/** The single-row scoring routes: a 201 there is one row scored. */
const SCORES_ONE_ROW = new Set([
  "/api/v1/predictions/annual",
  "/api/v1/predictions/quarterly",
  "/api/v1/predictions/credit",
]);

/**
 * One data point per request, written once the response is known: the route's template - never the path with
 * its ids - its method, status and problem code, the tenant, the duration and any row scored, so operators can ask
 * for the slowest routes, error rates per tenant and scoring volume with the SQL API (README).
 */
export function metrics(): MiddlewareHandler<AppEnv> {
  return async function metrics(c, next) {
    const started = performance.now();
    await next();
    const dataset = c.env?.METRICS;
    if (!dataset) return;
    const status = c.res.status;
    const tenant = c.get("tenantId") ?? "";
    const route = routePath(c, -1);
    const matched = route !== "" && route !== "/*";
    const point: DataPoint = {
      indexes: [tenant || "-"],
      blobs: [
        matched ? route : "(unmatched)",
        c.req.method,
        `${Math.floor(status / 100)}xx`,
        c.get("problemCode") ?? "",
        tenant,
        c.get("config")?.ENVIRONMENT ?? "",
        (c.req.raw as { cf?: CfProperties }).cf?.colo ?? "",
      ],
      doubles: [
        Math.round((performance.now() - started) * 100) / 100,
        status,
        status === 201 && SCORES_ONE_ROW.has(route) ? 1 : 0,
      ],
    };
    writePoint(dataset, point, c.get("config")?.LOG_LEVEL ?? "info");
  };
}
