import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { AppError } from "../errors";

const tooLarge = (maxSize: number) => () => {
  throw new AppError("payload_too_large", `The request body exceeds the limit of ${maxSize} bytes.`);
};

/**
 * Refuses bodies over `MAX_BODY_BYTES` with 413 - from `Content-Length` when present, otherwise while
 * streaming, so an oversized chunked upload is cut off without being buffered whole.
 */
export function bodyLimit(): MiddlewareHandler<AppEnv> {
  const limiters = new Map<number, MiddlewareHandler>();
  return async function bodyLimit(c, next) {
    const maxSize = c.var.config.MAX_BODY_BYTES;
    let limiter = limiters.get(maxSize);
    if (!limiter) {
      limiter = honoBodyLimit({ maxSize, onError: tooLarge(maxSize) });
      limiters.set(maxSize, limiter);
    }
    return limiter(c, next);
  };
}
