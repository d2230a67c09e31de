import { sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import { dailyCloses } from "../../db/repositories/prices.repository";
import {
  bookTransactions,
  firstBookDay,
  transactionAssets,
} from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";
import { visiblePortfolio } from "./access";
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
  const { tenantId } = ctx;
  const to = midnight(range.to ?? ctx.now());
  const end = new Date(to.getTime() + DAY_MS);
  const tooLong = () =>
    new AppError("invalid_parameters", `At most ${MAX_PERFORMANCE_DAYS} days per request.`);
  const earliest = new Date(to.getTime() - (MAX_PERFORMANCE_DAYS - 1) * DAY_MS);
  if (range.from && midnight(range.from) > to)
    throw new AppError("invalid_parameters", "`from` is after `to`.");
  if (range.from && midnight(range.from) < earliest) throw tooLong();
  // One batch. Without `from`, the valuation starts at the first effective transaction, known only once the
  // books are read: prices are read from the first transaction of any status, which is no later, and the
  // valuation ignores closes before its start beyond the last one (the opening mark).
  const found = await ctx.read((db) => {
    const prices = dailyCloses(
      db,
      tenantId,
      transactionAssets(db, tenantId, portfolioId),
      range.from ? midnight(range.from) : sql`greatest(${firstBookDay(tenantId, portfolioId)}, ${earliest})`,
      end,
    );
    return {
      portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
      rows: read(bookTransactions(db, tenantId, portfolioId, { executedBefore: end })),
      opening: read(prices.opening),
      closes: read(prices.closes),
    };
  });
  const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  const first = found.rows.find(isEffective)?.executedAt;
  const from = midnight(range.from ?? (first && first < to ? first : to));
  if (from < earliest) throw tooLong();
  return { portfolio, from, to, ...measure(found.rows, [...found.opening, ...found.closes], from, to) };
}
