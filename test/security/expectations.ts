import { expect } from "vitest";

/** The OWASP secure headers every answer carries, whatever its status (see src/middleware/security-headers.ts). */
export const SECURITY_HEADERS: Record<string, RegExp> = {
  "strict-transport-security": /max-age=\d{8,}; includeSubDomains/,
  "x-content-type-options": /^nosniff$/,
  "x-frame-options": /^DENY$/,
  "referrer-policy": /^no-referrer$/,
  "content-security-policy": /(^|;\s*)default-src 'none'(;|$).*frame-ancestors 'none'/,
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Security headers, a request id, and (unless `cacheControl` says otherwise) `Cache-Control: no-store`. */
export function expectHardenedHeaders(
  response: Response,
  context: string,
  cacheControl: RegExp = /^no-store$/,
): void {
  for (const [name, pattern] of Object.entries(SECURITY_HEADERS)) {
    expect(response.headers.get(name), `${context}: ${name}`).toMatch(pattern);
  }
  expect(response.headers.get("cache-control"), `${context}: cache-control`).toMatch(cacheControl);
  expect(response.headers.get("x-request-id"), `${context}: x-request-id`).toMatch(REQUEST_ID);
  expect(response.headers.get("x-powered-by"), `${context}: x-powered-by`).toBeNull();
}

/** What a problem response carries (RFC 9457 plus the API's code and request id). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  instance: string;
}

/**
 * Reads a problem response: `application/problem+json`, a `code`, the same status as the response, and
 * the request id of the `X-Request-Id` header.
 */
export async function expectProblem(response: Response, context: string): Promise<Problem> {
  const text = await response.text();
  const where = `${context} -> ${response.status} ${text.slice(0, 300)}`;
  expect(response.headers.get("content-type"), where).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem.code, where).toMatch(/^[a-z_]+$/);
  expect(problem.type, where).toBe(`urn:finedge:problem:${problem.code}`);
  expect(problem.status, where).toBe(response.status);
  expect(problem.requestId, where).toBe(response.headers.get("x-request-id"));
  return problem;
}

/** Shortens a request body or URL for a failure message. */
export const excerpt = (text: string | undefined, length = 200) =>
  text === undefined ? "(none)" : JSON.stringify(text.length > length ? `${text.slice(0, length)}...` : text);
