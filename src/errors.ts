import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env";

/**
 * Every problem the API can answer with. The code is stable and machine-readable; the title is the
 * short human summary from RFC 9457 s3.1.3. Later features add their codes here.
 */
export const problemCatalogue = {
  bad_request: { status: 400, title: "Bad Request" },
  malformed_json: { status: 400, title: "Malformed JSON" },
  invalid_parameters: { status: 400, title: "Invalid Parameters" },
  invalid_token: { status: 400, title: "Invalid Or Expired Token" },
  unauthorized: { status: 401, title: "Unauthorized" },
  invalid_credentials: { status: 401, title: "Invalid Credentials" },
  federation_failed: { status: 401, title: "Federated Sign-In Failed" },
  forbidden: { status: 403, title: "Forbidden" },
  csrf_failed: { status: 403, title: "CSRF Check Failed" },
  step_up_required: { status: 403, title: "Step-Up Required" },
  sso_required: { status: 403, title: "Single Sign-On Required" },
  account_not_linked: { status: 403, title: "No Linked Account" },
  four_eyes: { status: 403, title: "Four Eyes Required" },
  not_found: { status: 404, title: "Not Found" },
  method_not_allowed: { status: 405, title: "Method Not Allowed" },
  conflict: { status: 409, title: "Conflict" },
  email_taken: { status: 409, title: "E-mail Already Registered" },
  identity_taken: { status: 409, title: "Identity Linked Elsewhere" },
  last_sign_in_method: { status: 409, title: "Last Way To Sign In" },
  legal_hold: { status: 409, title: "Kept Under Legal Hold" },
  payload_too_large: { status: 413, title: "Payload Too Large" },
  unsupported_media_type: { status: 415, title: "Unsupported Media Type" },
  validation_failed: { status: 422, title: "Validation Failed" },
  insufficient_funds: { status: 422, title: "Insufficient Funds" },
  insufficient_holding: { status: 422, title: "Insufficient Holding" },
  kyc_required: { status: 403, title: "Owner Not Verified" },
  movement_blocked: { status: 403, title: "Movement Blocked" },
  stale_price: { status: 422, title: "No Recent Price" },
  idempotency_key_reused: { status: 422, title: "Idempotency Key Reused" },
  idempotency_conflict: { status: 409, title: "Idempotent Request In Flight" },
  account_locked: { status: 423, title: "Account Locked" },
  rate_limited: { status: 429, title: "Too Many Requests" },
  internal_error: { status: 500, title: "Internal Server Error" },
  service_unavailable: { status: 503, title: "Service Unavailable" },
  request_timeout: { status: 503, title: "Request Deadline Exceeded" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

/** One invalid field: where it is (JSON Pointer into the body, or the parameter name) and why. */
export interface FieldError {
  location: "body" | "query" | "path" | "header" | "cookie";
  pointer: string;
  message: string;
  code: string;
}

export interface AppErrorOptions {
  status?: ContentfulStatusCode;
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The one error type of the application; the renderer turns it into `application/problem+json`. */
export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: ContentfulStatusCode;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = options.status ?? problemCatalogue[code].status;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** The problem document's `type`: a stable URI per code, documented in the README's problem table. */
export const problemType = (code: ProblemCode): string => `urn:finedge:problem:${code}`;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The RFC 9457 problem document of an AppError, as the response carries it. */
export function problemBody(c: Context, error: AppError): string {
  return JSON.stringify({
    type: problemType(error.code),
    title: problemCatalogue[error.code].title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId: c.get("requestId") as string | undefined,
    instance: c.req.path,
    ...(error.errors ? { errors: error.errors } : {}),
  });
}

/** Renders an AppError as an RFC 9457 problem response carrying the request id. */
export function renderProblem(c: Context, error: AppError): Response {
  (c as Context<AppEnv>).set("problemCode", error.code);
  return c.body(problemBody(c, error), error.status, {
    ...error.headers,
    "Content-Type": PROBLEM_CONTENT_TYPE,
    "Cache-Control": "no-store",
  });
}
