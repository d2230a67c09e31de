import { z } from "@hono/zod-openapi";

/** Field schemas several resources share. */

/** Trimmed, non-empty text of at most `max`; Postgres text cannot hold NUL, so it is refused here, not in a query. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !v.includes("\u0000"), "NUL is not allowed.");

/** ISO 3166-1 alpha-2. */
export const Country = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .openapi({ example: "US", description: "ISO 3166-1 alpha-2." });
