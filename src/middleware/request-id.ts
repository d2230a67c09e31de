import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  headerName?: string;
  /** Incoming ids longer than this, or with characters outside [A-Za-z0-9._:-], are replaced. */
  maxLength?: number;
}

/**
 * Keeps a caller's valid `X-Request-Id` (so a trace crosses services) or mints a UUID, and echoes it on
 * every response - set after `next()` so responses built anywhere downstream carry it too.
 */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<AppEnv> {
  const headerName = options.headerName ?? "X-Request-Id";
  const maxLength = options.maxLength ?? 128;
  if (maxLength < 16) throw new Error("requestId: maxLength must be at least 16");
  const valid = new RegExp(`^[A-Za-z0-9._:-]{1,${maxLength}}$`);
  return async function requestId(c, next) {
    const incoming = c.req.header(headerName);
    const id = incoming && valid.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set(headerName, id);
  };
}
