import { describe, expect, it } from "vitest";
import { annualRatios, quarterlyRatios, trailingTwelveMonths } from "../../../src/ml/ratios";

const FULL = {
  total_assets: 5000,
  net_income: 310,
  revenue: 4200,
  ebit: 450,
  ebitda: 600,
  interest_expense: 60,
  sga_expense: 700,
  long_term_debt: 1500,
  total_debt: 1800,
  total_equity: 2400,
};

describe("credit ratios", () => {
  it("annual: the five ratios, rounded to 6 decimals", () => {
    expect(annualRatios(FULL)).toEqual({
      long_term_debt_to_total_capital: { value: 0.357143, reason: null },
      total_debt_to_ebitda: { value: 3, reason: null },
      net_income_margin: { value: 0.07381, reason: null },
      ebit_to_interest_expense: { value: 7.5, reason: null },
      return_on_assets: { value: 0.062, reason: null },
    });
  });

  it("a zero denominator, a missing input or a negative base is null with the reason - never NaN or Infinity", () => {
    const ratios = annualRatios({
      ...FULL,
      interest_expense: 0,
      revenue: undefined,
      ebitda: -5,
      total_equity: -2000,
    });
    expect(ratios.ebit_to_interest_expense).toEqual({
      value: null,
      reason: "division by zero: interest_expense is 0",
    });
    expect(ratios.net_income_margin).toEqual({ value: null, reason: "not reported: revenue" });
    expect(ratios.total_debt_to_ebitda).toEqual({
      value: null,
      reason: "EBITDA is negative: debt cannot be repaid from it",
    });
    expect(ratios.long_term_debt_to_total_capital?.value).toBeNull();
    expect(ratios.long_term_debt_to_total_capital?.reason).toMatch(/total capital .* is negative/);
    const empty = annualRatios({});
    for (const ratio of Object.values(empty)) expect(ratio.value).toBeNull();
    expect(JSON.stringify(annualRatios({ net_income: 1, total_assets: 0 }))).not.toMatch(/NaN|Infinity/);
  });

  it("quarterly: flows over the last four quarters, stocks from the latest; a flow missing in one quarter is missing", () => {
    const quarter = { revenue: 1000, ebit: 100, ebitda: 150, sga_expense: 200, net_income: 50 };
    const quarters = [
      { ...quarter, long_term_debt: 1500, total_debt: 1800, total_equity: 2400 },
      quarter,
      quarter,
      quarter,
      { ...quarter, revenue: 999_999 },
    ];
    const ttm = trailingTwelveMonths(quarters);
    expect(ttm).toMatchObject({ revenue: 4000, ebitda: 600, ebit: 400, total_debt: 1800 });
    expect(quarterlyRatios(ttm)).toEqual({
      total_debt_to_ebitda: { value: 3, reason: null },
      sga_margin: { value: 0.2, reason: null },
      long_term_debt_to_total_capital: { value: 0.357143, reason: null },
      return_on_capital: { value: 0.095238, reason: null },
    });
    const gap = trailingTwelveMonths([quarters[0] ?? {}, quarter, { ebit: 1 }, quarter]);
    expect(quarterlyRatios(gap).sga_margin).toEqual({
      value: null,
      reason: "not reported: sga_expense, revenue",
    });
  });
});
