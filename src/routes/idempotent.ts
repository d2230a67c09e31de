import { z } from "@hono/zod-openapi";
import { IDEMPOTENCY_KEY_PATTERN, idempotency } from "../middleware/idempotency";
import { afterValidation } from "../openapi";
import type { Permission } from "../services/tenancy/permissions";
import { secured } from "./secured";

/** The security part of a contract for a route that moves money: `secured`, then Idempotency-Key. */
export function securedIdempotent(permission: Permission) {
  const security = secured(permission);
  return { ...security, middleware: [...security.middleware, afterValidation(idempotency())] };
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
