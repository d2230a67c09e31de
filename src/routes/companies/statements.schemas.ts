import { z } from "@hono/zod-openapi";
import { STATEMENT_AMOUNTS, type StatementAmount } from "../../services/risk/statement-rules";
import { Money } from "../../services/risk/statement-schemas";
import { PERIOD_TYPES } from "../../services/risk/types";

// The current year, so a generated example is a period that can exist.
const FiscalYear = z.number().int().min(1900).max(2200).openapi({ example: new Date().getUTCFullYear() });

const amounts = (required: readonly StatementAmount[]) =>
  Object.fromEntries(
    STATEMENT_AMOUNTS.map((name) => [name, required.includes(name) ? Money : Money.optional()]),
  ) as Record<StatementAmount, typeof Money>;

export const StatementInputSchema = z
  .object({
    period_type: z.enum(PERIOD_TYPES),
    fiscal_year: FiscalYear,
    fiscal_quarter: z.number().int().min(1).max(4).optional().openapi({ description: "1-4; quarters only." }),
    period_end: z.iso.date(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .openapi({ example: "USD", description: "ISO 4217; the company's." }),
    ...amounts(["total_assets", "total_liabilities", "current_assets", "current_liabilities", "net_income"]),
  })
  .strict()
  .openapi("StatementInput");

export const FileStatementsBody = z
  .object({ statements: z.array(StatementInputSchema).min(1).max(20) })
  .strict();

const nullableAmounts = Object.fromEntries(
  STATEMENT_AMOUNTS.map((name) => [name, z.string().nullable()]),
) as Record<StatementAmount, z.ZodNullable<z.ZodString>>;

export const StatementSchema = z
  .object({
    id: z.uuid(),
    company_id: z.uuid(),
    period_type: z.enum(PERIOD_TYPES),
    fiscal_year: z.number().int(),
    fiscal_quarter: z.number().int().nullable(),
    period_end: z.string(),
    currency: z.string(),
    ...nullableAmounts,
    created_at: z.iso.datetime(),
  })
  .openapi("Statement");
