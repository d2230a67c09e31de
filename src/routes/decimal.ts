import { z } from "@hono/zod-openapi";
import { DECIMAL_PATTERN } from "../services/money/decimal";

// Decimal strings on the wire: never JSON numbers, which every JSON parser reads as a binary float.
const ZERO = /^0(?:\.0+)?$/;

export const DecimalString = (example: string, description?: string) =>
  z
    .string()
    .max(34)
    .regex(DECIMAL_PATTERN, "must be a decimal string such as 12.5 (no sign, exponent or leading zeros)")
    .openapi({ example, ...(description ? { description } : {}) });

/** A decimal string greater than zero. */
export const PositiveDecimal = (example: string, description?: string) =>
  DecimalString(example, description).refine((value) => !ZERO.test(value), "must be greater than zero");

/** ISO 4217 alphabetic code. */
export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
  .openapi({ example: "USD" });

/** An instant with an explicit offset; stored to the millisecond. */
export const Instant = z.iso.datetime({ offset: true }).openapi({ example: "2026-01-02T15:30:00Z" });
