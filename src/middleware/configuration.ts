import type { MiddlewareHandler } from "hono";
import { ConfigError, loadConfig } from "../config";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";

/**
 * Parses the bindings once per isolate and exposes them as `c.var.config`. A Worker deployed without its
 * required secrets answers 503 on every route (and says which settings, never their values, in the log)
 * instead of running on a built-in fallback.
 */
export function configuration(): MiddlewareHandler<AppEnv> {
  return async function configuration(c, next) {
    try {
      c.set("config", loadConfig(c.env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      log("info", "error", {
        msg: "configuration invalid",
        requestId: c.get("requestId"),
        settings: error.settings,
      });
      throw new AppError("service_unavailable", "The service is not configured correctly.");
    }
    await next();
  };
}
