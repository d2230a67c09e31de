import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import { type AppError, PROBLEM_CONTENT_TYPE, problemBody } from "../errors";
import {
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotencyOptions,
  idempotency,
  REPLAYED_HEADER,
} from "../middleware/idempotency";
import { afterValidation } from "../openapi";
import type { Answer } from "../services/portfolios/decided-write";
import type { Permission } from "../services/tenancy/permissions";
import { secured } from "./secured";

/** The security part of a contract for a route that moves money: `secured`, then Idempotency-Key. */
export function securedIdempotent(permission: Permission, options: IdempotencyOptions = {}) {
  // The write honours the key itself, and reads the caller's standing in its own first batch.
  const security = secured(permission, { standingInBatch: true });
  return { ...security, middleware: [...security.middleware, afterValidation(idempotency(options))] };
}

/** The documented Idempotency-Key header with its semantics on this route (the contract checks its form). */
export const idempotencyHeaders = (description: string) =>
  z.object({
    "idempotency-key": z
      .string()
      .regex(IDEMPOTENCY_KEY_PATTERN)
      .optional()
      .openapi({ description, example: "6f1c0d2e-4b7a-4e0a-9a53-2f1f3d3c9b10" }),
  });

/** The header on the routes that move money. */
export const IdempotencyHeaders = idempotencyHeaders(
  "A unique key (a UUID) per intended operation. A retry with the same key and payload gets the first " +
    "response again, with `Idempotency-Replayed: true`, for 24 hours; another payload under the key is " +
    "422 and a retry while the first is running is 409.",
);

/**
 * The response of a write that decided its answer before it was made (services/portfolios/ledger-call.ts):
 * exactly the recorded one, marked when it is a replay.
 */
export function answered(c: Context<AppEnv>, answer: Answer) {
  const problem = answer.contentType.startsWith(PROBLEM_CONTENT_TYPE);
  return c.body(answer.body, answer.status as ContentfulStatusCode, {
    "Content-Type": answer.contentType,
    ...(problem ? { "Cache-Control": "no-store" } : {}),
    ...(answer.replayed ? { [REPLAYED_HEADER]: "true" } : {}),
  });
}

/** A refusal as the write records and answers it: the problem document the error handler would render. */
export const refusalAnswer =
  (c: Context<AppEnv>) =>
  (error: AppError): Answer => ({
    status: error.status,
    body: problemBody(c, error),
    contentType: PROBLEM_CONTENT_TYPE,
  });
