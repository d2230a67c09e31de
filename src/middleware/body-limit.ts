import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { AppError } from "../errors";

const tooLarge = (maxSize: number) => () => {
  throw new AppError("payload_too_large", `The request body exceeds the limit of ${maxSize} bytes.`);
};

/** Options of {@link bodyLimit}. */
export interface BodyLimitOptions {
  /**
   * Path prefixes of routes that stream their (larger) bodies to storage themselves: here only a declared
   * `Content-Length` over `MAX_BULK_BYTES` is refused; the route counts a chunked body as it streams it.
   */
  streamed?: string[];
}

/**
 * Refuses bodies over `MAX_BODY_BYTES` with 413 - from `Content-Length` when present, otherwise while
 * streaming, so an oversized chunked upload is cut off without being buffered whole.
 */
export function bodyLimit(options: BodyLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const limiters = new Map<number, MiddlewareHandler>();
  const streamed = options.streamed ?? [];
  return async function bodyLimit(c, next) {
    if (streamed.some((prefix) => c.req.path.startsWith(prefix))) {
      const limit = c.get("config").MAX_BULK_BYTES;
      if (Number(c.req.header("content-length") ?? 0) > limit) tooLarge(limit)();
      return next();
    }
    const maxSize = c.get("config").MAX_BODY_BYTES;
    let limiter = limiters.get(maxSize);
    if (!limiter) {
      limiter = honoBodyLimit({ maxSize, onError: tooLarge(maxSize) });
      limiters.set(maxSize, limiter);
    }
    return limiter(c, next);
  };
}
