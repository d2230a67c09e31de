import type { Middleware } from "openapi-fetch";
import { idempotentOperations } from "./generated/operations.js";

const IDEMPOTENT: ReadonlySet<string> = new Set(idempotentOperations);

/** Whether an operation's contract documents an `Idempotency-Key` header (`POST`, `/api/v1/prices`). */
export function documentsIdempotencyKey(method: string, schemaPath: string): boolean {
  return IDEMPOTENT.has(`${method.toUpperCase()} ${schemaPath}`);
}

/**
 * Gives every call of an operation that documents an `Idempotency-Key` a fresh key, unless the caller gave
 * one: retries of that call resend the request as it is, key included, so the API replays the first answer
 * instead of moving the money twice.
 */
export function idempotencyKeys(generate: () => string): Middleware {
  return {
    onRequest({ request, schemaPath }) {
      if (documentsIdempotencyKey(request.method, schemaPath) && !request.headers.has("idempotency-key")) {
        request.headers.set("idempotency-key", generate());
      }
      return undefined;
    },
  };
}
