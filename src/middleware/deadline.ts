import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";

/**
 * A request that has not produced a response within `REQUEST_TIMEOUT_MS` is answered with 503 and a
 * `Retry-After`; the abandoned work is not awaited.
 */
export function deadline(): MiddlewareHandler<AppEnv> {
  return async function deadline(c, next) {
    const limit = c.get("config").REQUEST_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError("request_timeout", `The request did not complete within ${limit} ms.`, {
              headers: { "Retry-After": "1" },
            }),
          ),
        limit,
      );
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
