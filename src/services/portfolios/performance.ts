import { dailyCloses } from "../../db/repositories/prices.repository";
import { bookTransactions } from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";
import { portfolioFor } from "./access";
import { isEffective } from "./book";
import { measure } from "./valuation";

const DAY_MS = 86_400_000;
/** Ten years of daily valuations at most per request. */
export const MAX_PERFORMANCE_DAYS = 3660;

const midnight = (date: Date) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

/**
 * Performance of a portfolio over whole UTC days [from, to]: time- and money-weighted returns, realized
 * and unrealized P&L, dividends and fees (see valuation.ts for the methods). `to` defaults to today and
 * `from` to the day of the first transaction.
 */
export async function performanceOf(
  ctx: TenantContext,
  portfolioId: string,
  range: { from?: Date | undefined; to?: Date | undefined },
) {
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const to = midnight(range.to ?? ctx.now());
    const end = new Date(to.getTime() + DAY_MS);
    const rows = await bookTransactions(tx, ctx.tenantId, portfolio.id, { executedBefore: end });
    const first = rows.find(isEffective)?.executedAt;
    const from = midnight(range.from ?? (first && first < to ? first : to));
    if (from > to) throw new AppError("invalid_parameters", "`from` is after `to`.");
    if ((to.getTime() - from.getTime()) / DAY_MS >= MAX_PERFORMANCE_DAYS) {
      throw new AppError("invalid_parameters", `At most ${MAX_PERFORMANCE_DAYS} days per request.`);
    }
    const assetIds = [...new Set(rows.flatMap((row) => (row.assetId && row.quantity ? [row.assetId] : [])))];
    const prices = await dailyCloses(tx, ctx.tenantId, assetIds, from, end);
    return { portfolio, from, to, ...measure(rows, prices, from, to) };
  });
}
