import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { AppEnv } from "../env";
import { AppError, type FieldError, type ProblemCode, problemCatalogue, renderProblem } from "../errors";
import { describeError, log, loggablePath } from "../logger";

const escapePointer = (segment: PropertyKey): string =>
  String(segment).replaceAll("~", "~0").replaceAll("/", "~1");

const locations = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
} as const satisfies Record<string, FieldError["location"]>;

/** Lists each invalid field of a zod error, with a JSON Pointer (RFC 6901) for body fields. */
export function fieldErrors(error: ZodError, target: string): FieldError[] {
  const location = locations[target as keyof typeof locations] ?? "body";
  return error.issues.map((issue) => ({
    location,
    pointer:
      location === "body"
        ? `/${issue.path.map(escapePointer).join("/")}`
        : issue.path.map(String).join(".") || location,
    message: issue.message,
    code: issue.code,
  }));
}

/**
 * The contracts' validation hook: a body that parses but breaks its schema is 422 (the request was
 * understood but cannot be processed); a bad path, query or header parameter is 400.
 */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
): void {
  if (result.success) return;
  const errors = fieldErrors(result.error, result.target);
  if (result.target === "json" || result.target === "form") {
    throw new AppError("validation_failed", "The request body failed validation.", { errors });
  }
  throw new AppError("invalid_parameters", "One or more request parameters are invalid.", { errors });
}

const codeForStatus = (status: number): ProblemCode =>
  (Object.entries(problemCatalogue).find(([, entry]) => entry.status === status)?.[0] as ProblemCode) ??
  (status >= 500 ? "internal_error" : "bad_request");

/** Converts anything thrown into an AppError; unknown errors become a generic 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    // Hono's own validators raise HTTPException; the only 400 they raise is for an unparsable body.
    if (error.status === 400 && /json/i.test(error.message)) {
      return new AppError("malformed_json", "The request body is not valid JSON.");
    }
    const code = codeForStatus(error.status);
    const status = (error.status >= 400 ? error.status : 500) as ContentfulStatusCode;
    return new AppError(code, status >= 500 ? "An unexpected error occurred." : error.message, { status });
  }
  return new AppError("internal_error", "An unexpected error occurred.", { cause: error });
}

/** `app.onError`: renders every error as problem+json; 5xx errors are logged in full with the request id. */
export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  const problem = toAppError(error);
  if (problem.status >= 500) {
    log(c.get("config")?.LOG_LEVEL ?? "info", "error", {
      msg: "request failed",
      requestId: c.get("requestId"),
      method: c.req.method,
      path: loggablePath(c.req.path),
      code: problem.code,
      error: describeError(problem.code === "internal_error" ? (problem.cause ?? problem) : problem),
    });
  }
  return renderProblem(c, problem);
};

/** `app.notFound`: an unknown route. A known route with another method becomes 405 (see app.ts). */
export const handleNotFound: NotFoundHandler<AppEnv> = (c: Context<AppEnv>) =>
  renderProblem(c, new AppError("not_found", `No route matches ${c.req.method} ${c.req.path}.`));
