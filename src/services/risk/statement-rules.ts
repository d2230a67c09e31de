/**
 * What a financial statement must satisfy beyond its schema: a coherent fiscal period, and no impossible
 * figures. Amounts are compared exactly (decimal.js), never as floats.
 */
import Decimal from "decimal.js";
import type { FieldError } from "../../errors";

/** Every amount a statement can carry, in wire (snake_case) names. */
export const STATEMENT_AMOUNTS = [
  "total_assets",
  "total_liabilities",
  "current_assets",
  "current_liabilities",
  "working_capital",
  "net_income",
  "net_income_prior",
  "funds_from_operations",
  "revenue",
  "ebit",
  "ebitda",
  "interest_expense",
  "sga_expense",
  "long_term_debt",
  "total_debt",
  "total_equity",
] as const;
export type StatementAmount = (typeof STATEMENT_AMOUNTS)[number];

/** A statement as filed, amounts as canonical decimal strings. */
export interface StatementInput extends Partial<Record<StatementAmount, string>> {
  period_type: "annual" | "quarterly";
  fiscal_year: number;
  fiscal_quarter?: number | undefined;
  period_end: string;
  currency: string;
}

const NON_NEGATIVE: StatementAmount[] = [
  "total_liabilities",
  "current_assets",
  "current_liabilities",
  "revenue",
  "interest_expense",
  "sga_expense",
  "long_term_debt",
  "total_debt",
];

/** The problems of one statement; `at` is its JSON Pointer in the request. */
export function statementProblems(
  s: StatementInput,
  at: string,
  today: string,
  currency: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, message: string) =>
    errors.push({ location: "body", pointer: `${at}/${field}`, message, code: "invalid_statement" });
  const amount = (name: StatementAmount) =>
    s[name] === undefined ? undefined : new Decimal(s[name] as string);

  if (s.period_type === "quarterly" && s.fiscal_quarter === undefined)
    add("fiscal_quarter", "required for a quarter");
  if (s.period_type === "annual" && s.fiscal_quarter !== undefined)
    add("fiscal_quarter", "only quarters have one");
  if (s.period_type === "quarterly" && s.net_income_prior !== undefined)
    add("net_income_prior", "only annual statements carry it; quarters take it from earlier quarters");
  const endYear = Number(s.period_end.slice(0, 4));
  if (endYear < s.fiscal_year || endYear > s.fiscal_year + 1)
    add("period_end", `a fiscal ${s.fiscal_year} period ends in ${s.fiscal_year} or ${s.fiscal_year + 1}`);
  if (s.period_end > today) add("period_end", "is in the future");
  if (s.currency !== currency) add("currency", `the company reports in ${currency}`);

  const totalAssets = amount("total_assets");
  if (totalAssets?.lte(0)) add("total_assets", "must be greater than 0");
  for (const name of NON_NEGATIVE) if (amount(name)?.isNegative()) add(name, "must not be negative");
  const currentAssets = amount("current_assets");
  if (currentAssets && totalAssets && currentAssets.gt(totalAssets))
    add("current_assets", "exceeds total assets");
  const currentLiabilities = amount("current_liabilities");
  const totalLiabilities = amount("total_liabilities");
  if (currentLiabilities && totalLiabilities && currentLiabilities.gt(totalLiabilities))
    add("current_liabilities", "exceeds total liabilities");
  const longTermDebt = amount("long_term_debt");
  const totalDebt = amount("total_debt");
  if (longTermDebt && totalDebt && longTermDebt.gt(totalDebt)) add("long_term_debt", "exceeds total debt");
  return errors;
}

/** A wire amount (decimal string or integer) as a number, for ratios and features (not money arithmetic). */
export const toNumber = (value: string | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
