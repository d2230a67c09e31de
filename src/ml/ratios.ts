/**
 * The credit ratios reported next to a corporate prediction (AccuNode's set): five for an annual statement,
 * four for the trailing twelve months of quarterly ones. A ratio that cannot be computed - an input not
 * given, a zero denominator, a negative base that makes it meaningless - is null with the reason, so
 * NaN and Infinity never appear.
 */
import { round } from "./reasons";

export interface Ratio {
  value: number | null;
  reason: string | null;
}

/** Statement figures by field name (numbers; absent when not reported). */
export type Figures = Partial<Record<string, number>>;

const missing = (fields: string[]): Ratio => ({ value: null, reason: `not reported: ${fields.join(", ")}` });

function divide(
  numerator: number | undefined,
  denominator: number | undefined,
  names: [string, string],
  options: { positiveDenominator?: string } = {},
): Ratio {
  const absent = names.filter((_, i) => (i === 0 ? numerator : denominator) === undefined);
  if (absent.length > 0) return missing(absent);
  const [n, d] = [numerator as number, denominator as number];
  if (d === 0) return { value: null, reason: `division by zero: ${names[1]} is 0` };
  if (d < 0 && options.positiveDenominator) return { value: null, reason: options.positiveDenominator };
  const value = n / d;
  return Number.isFinite(value)
    ? { value: round(value, 6), reason: null }
    : { value: null, reason: "not finite" };
}

const sum = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a + b;

// Total capital is debt plus equity: what lenders and owners have put in.
const totalCapital = (f: Figures) => sum(f.total_debt, f.total_equity);
const CAPITAL = "total capital (total debt + total equity)";

function leverage(f: Figures): Ratio {
  if (f.long_term_debt === undefined || totalCapital(f) === undefined)
    return missing(["long_term_debt", "total_debt", "total_equity"].filter((k) => f[k] === undefined));
  return divide(f.long_term_debt, totalCapital(f), ["long_term_debt", CAPITAL], {
    positiveDenominator: `${CAPITAL} is negative`,
  });
}

const debtToEbitda = (f: Figures) =>
  divide(f.total_debt, f.ebitda, ["total_debt", "ebitda"], {
    positiveDenominator: "EBITDA is negative: debt cannot be repaid from it",
  });

/** Long-term debt / total capital, total debt / EBITDA, net margin, interest coverage, return on assets. */
export function annualRatios(f: Figures): Record<string, Ratio> {
  return {
    long_term_debt_to_total_capital: leverage(f),
    total_debt_to_ebitda: debtToEbitda(f),
    net_income_margin: divide(f.net_income, f.revenue, ["net_income", "revenue"]),
    ebit_to_interest_expense: divide(f.ebit, f.interest_expense, ["ebit", "interest_expense"]),
    return_on_assets: divide(f.net_income, f.total_assets, ["net_income", "total_assets"]),
  };
}

const FLOWS = ["revenue", "ebit", "ebitda", "sga_expense", "net_income"] as const;

/**
 * Trailing twelve months from quarterly statements (most recent first): flows summed over the last four
 * quarters (a flow missing in any of them is missing), stocks from the latest quarter.
 */
export function trailingTwelveMonths(quarters: Figures[]): Figures {
  const latest = quarters[0] ?? {};
  const out: Figures = { ...latest };
  for (const flow of FLOWS) {
    const values = quarters.slice(0, 4).map((q) => q[flow]);
    out[flow] =
      values.length === 4 && values.every((v) => v !== undefined)
        ? values.reduce((a, b) => (a as number) + (b as number), 0)
        : undefined;
  }
  return out;
}

/** Total debt / EBITDA, SG&A margin, long-term debt / total capital, (pre-tax) return on capital. */
export function quarterlyRatios(ttm: Figures): Record<string, Ratio> {
  return {
    total_debt_to_ebitda: debtToEbitda(ttm),
    sga_margin: divide(ttm.sga_expense, ttm.revenue, ["sga_expense", "revenue"]),
    long_term_debt_to_total_capital: leverage(ttm),
    return_on_capital: divide(ttm.ebit, totalCapital(ttm), ["ebit", CAPITAL], {
      positiveDenominator: `${CAPITAL} is negative`,
    }),
  };
}
