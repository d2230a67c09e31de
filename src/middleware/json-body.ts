import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Path prefixes whose routes accept other media types (uploads) and parse their own bodies. */
  except?: string[];
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const hasBody = (request: Request): boolean =>
  request.body !== null && request.headers.get("content-length") !== "0";

/**
 * Every request body is JSON: another media type is 415, and a body that does not parse is 400 before
 * any handler runs. The parsed body stays in Hono's body cache, so validators do not parse it again.
 */
export function jsonBody(options: JsonBodyOptions = {}): MiddlewareHandler<AppEnv> {
  const except = options.except ?? [];
  return async function jsonBody(c, next) {
    if (!hasBody(c.req.raw) || except.some((prefix) => c.req.path.startsWith(prefix))) return next();
    const contentType = c.req.header("content-type") ?? "";
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new AppError(
        "unsupported_media_type",
        `Request bodies must be application/json; got ${contentType ? `"${contentType.slice(0, 100)}"` : "no Content-Type"}.`,
        { headers: { "Accept-Post": "application/json" } },
      );
    }
    try {
      await c.req.json();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("malformed_json", "The request body is not valid JSON.");
    }
    return next();
  };
}
