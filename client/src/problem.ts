import { problemCodes } from "./generated/operations.js";
import type { components } from "./generated/schema.js";

/** The RFC 9457 problem document every error answer of the API carries. */
export type Problem = components["schemas"]["Problem"];
/** Every problem code the API answers with (its catalogue, through the OpenAPI document). */
export type ProblemCode = Problem["code"];
/** One invalid field of a validation problem: where (a JSON Pointer or a parameter name) and why. */
export type FieldError = NonNullable<Problem["errors"]>[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(problemCodes);
const PROBLEM_MEDIA_TYPE = /^application\/problem\+json/i;

/**
 * An error answer of the API, thrown by every call of the client. `code` is the API's problem code, or
 * `unexpected_response` when the answer was not one of its problems (a proxy's error page, say).
 */
export class FinEdgeProblem extends Error {
  override readonly name = "FinEdgeProblem";
  readonly status: number;
  readonly code: ProblemCode | "unexpected_response";
  readonly title: string;
  readonly detail: string;
  /** Each invalid field (validation problems); empty otherwise. */
  readonly errors: readonly FieldError[];
  /** The request id the API logged the request under: quote it when reporting a problem. */
  readonly requestId: string | null;
  readonly instance: string | null;
  /** The answer's headers (`Retry-After`, `WWW-Authenticate`, ...). */
  readonly headers: Headers;

  constructor(
    status: number,
    problem: Omit<Partial<Problem>, "code"> & { code: ProblemCode | "unexpected_response" },
    headers: Headers = new Headers(),
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem.code;
    this.title = problem.title ?? `HTTP ${status}`;
    this.detail = problem.detail ?? "";
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId ?? headers.get("x-request-id");
    this.instance = problem.instance ?? null;
    this.headers = headers;
  }

  /** The field errors at a JSON Pointer into the body (`/amount`) or for a parameter name. */
  errorsAt(pointer: string): FieldError[] {
    return this.errors.filter((error) => error.pointer === pointer);
  }

  /** Reads an error answer; consumes its body. */
  static async fromResponse(response: Response): Promise<FinEdgeProblem> {
    const text = await response.text();
    if (PROBLEM_MEDIA_TYPE.test(response.headers.get("content-type") ?? "")) {
      try {
        const body = JSON.parse(text) as Omit<Partial<Problem>, "code"> & { code?: string };
        // A code this client does not know (an API newer than its types) keeps the rest of the document.
        const code =
          typeof body.code === "string" && KNOWN_CODES.has(body.code) ? (body.code as ProblemCode) : null;
        return new FinEdgeProblem(
          response.status,
          { ...body, code: code ?? "unexpected_response" },
          response.headers,
        );
      } catch {
        // Not JSON after all: reported as an unexpected answer below.
      }
    }
    return new FinEdgeProblem(
      response.status,
      {
        code: "unexpected_response",
        title: response.statusText || `HTTP ${response.status}`,
        detail: text.slice(0, 500),
      },
      response.headers,
    );
  }
}

/** Whether an error is a problem answer of the API, optionally with one of the given codes. */
export function isProblem(error: unknown, ...codes: ProblemCode[]): error is FinEdgeProblem {
  return error instanceof FinEdgeProblem && (codes.length === 0 || (codes as string[]).includes(error.code));
}
