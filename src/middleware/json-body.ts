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

/** The JSON Pointer of the first string (or key) containing U+0000, if any. Iterative: any depth is safe. */
function findNul(root: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[root, ""]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [value, pointer] = item;
    if (typeof value === "string") {
      if (value.includes("\u0000")) return pointer || "/";
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        const path = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
        if (key.includes("\u0000")) return path;
        pending.push([child, path]);
      }
    }
  }
  return undefined;
}

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
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("malformed_json", "The request body is not valid JSON.");
    }
    const pointer = findNul(body);
    if (pointer !== undefined) {
      // Valid JSON, but no text column can hold U+0000: refuse it here rather than fail in Postgres.
      throw new AppError("validation_failed", "The request body failed validation.", {
        errors: [
          {
            location: "body",
            pointer,
            message: "must not contain U+0000",
            code: "invalid_string",
          },
        ],
      });
    }
    return next();
  };
}
