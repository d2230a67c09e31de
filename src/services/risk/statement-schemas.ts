/**
 * The statement figures a model reads, as a prediction request sends them inline and as each row of a
 * bulk scoring file carries them: the bulk service validates rows against the same schema the API
 * documents. The API's own statement schemas (filing, listing) live with the company routes.
 */
import { z } from "@hono/zod-openapi";
import { STATEMENT_AMOUNTS, type StatementAmount } from "./statement-rules";

/**
 * A money amount: a decimal string with at most two decimals (or an integer), kept exact - it is stored
 * as numeric and never passes through a float until a ratio is taken.
 */
export const Money = z
  .union([
    z
      .string()
      .regex(/^-?\d{1,20}(\.\d{1,2})?$/)
      .openapi({ example: "1250000.00" }),
    z.number().int().min(-1e15).max(1e15),
  ])
  .transform((value) => String(value))
  .openapi({ description: "Decimal string (at most 2 decimals) or integer, in the statement's currency." });

/** Statement amounts sent inline to a prediction (any the model needs; the manifest says which). */
export const InlineStatementSchema = z
  .object(
    Object.fromEntries(STATEMENT_AMOUNTS.map((name) => [name, Money.optional()])) as Record<
      StatementAmount,
      z.ZodOptional<typeof Money>
    >,
  )
  .strict()
  .openapi("InlineStatement", { description: "Amounts in USD for the platform's corporate models." });
