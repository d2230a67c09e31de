import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { Dec, formatMoney, formatPrice, formatQuantity, formatRatio } from "../../services/money/decimal";
import { holdingsOf } from "../../services/portfolios/holdings";
import { performanceOf } from "../../services/portfolios/performance";
import { listLedger, listLedgerAccounts } from "../../services/portfolios/queries";
import { pageBody } from "../page";
import type * as routes from "./analytics.routes";

const ratio = (value: Dec | null) => (value === null ? null : formatRatio(value));
const day = (date: Date) => date.toISOString().slice(0, 10);

export const getHoldings: RouteHandler<typeof routes.getHoldings, AppEnv> = async (c) => {
  const { portfolio, cash, lines, totals } = await holdingsOf(tenantOf(c), c.req.valid("param").id);
  const currency = portfolio.baseCurrency;
  const money = (value: Dec) => formatMoney(value, currency);
  return c.json(
    {
      portfolio_id: portfolio.id,
      currency,
      cash: {
        balance: money(cash.balance),
        reserved: money(cash.reserved),
        available: money(cash.available),
        weight: ratio(cash.weight),
      },
      positions: lines.map((line) => {
        const scale = line.asset.quantityScale;
        return {
          asset_id: line.asset.id,
          symbol: line.asset.symbol,
          name: line.asset.name,
          quantity: formatQuantity(line.quantity, scale),
          reserved: formatQuantity(line.reserved, scale),
          available: formatQuantity(line.available, scale),
          average_cost: line.averageCost ? formatPrice(line.averageCost) : null,
          cost_basis: money(line.cost),
          price: line.price ? formatPrice(line.price.value) : null,
          price_at: line.price?.at.toISOString() ?? null,
          price_source: line.price?.source ?? null,
          market_value: line.marketValue ? money(line.marketValue) : null,
          unrealized_pnl: line.unrealized ? money(line.unrealized) : null,
          weight: ratio(line.weight),
        };
      }),
      positions_value: money(totals.positions),
      total_value: money(totals.total),
      cost_basis: money(totals.cost),
      unrealized_pnl: money(totals.unrealized),
    },
    200,
  );
};

export const getPerformance: RouteHandler<typeof routes.getPerformance, AppEnv> = async (c) => {
  const { from, to } = c.req.valid("query");
  const result = await performanceOf(tenantOf(c), c.req.valid("param").id, {
    from: from ? new Date(`${from}T00:00:00Z`) : undefined,
    to: to ? new Date(`${to}T00:00:00Z`) : undefined,
  });
  const money = (value: Dec) => formatMoney(value, result.portfolio.baseCurrency);
  return c.json(
    {
      portfolio_id: result.portfolio.id,
      currency: result.portfolio.baseCurrency,
      from: day(result.from),
      to: day(result.to),
      start_value: money(result.startValue),
      end_value: money(result.endValue),
      deposits: money(result.deposits),
      withdrawals: money(result.withdrawals),
      time_weighted_return: ratio(result.timeWeighted),
      money_weighted_return: ratio(result.moneyWeighted),
      realized_pnl: money(result.realized),
      unrealized_pnl: money(result.unrealized),
      dividends: money(result.dividends),
      fees: money(result.fees),
    },
    200,
  );
};

export const getLedger: RouteHandler<typeof routes.getLedger, AppEnv> = async (c) => {
  const { limit, cursor, transaction_id } = c.req.valid("query");
  const page = await listLedger(tenantOf(c), c.req.valid("param").id, {
    limit,
    cursor,
    transactionId: transaction_id,
  });
  const view = ({ posting, kind, quantityScale }: (typeof page.items)[number]) => {
    const amount = new Dec(posting.amount);
    return {
      seq: posting.seq,
      transaction_id: posting.transactionId,
      account_id: posting.accountId,
      account_kind: kind,
      unit: posting.unit,
      side: amount.lt(0) ? ("credit" as const) : ("debit" as const),
      amount:
        quantityScale === null
          ? formatMoney(amount.abs(), posting.unit)
          : formatQuantity(amount.abs(), quantityScale),
      created_at: posting.createdAt.toISOString(),
    };
  };
  return c.json(pageBody(page, view), 200);
};

export const getLedgerAccounts: RouteHandler<typeof routes.getLedgerAccounts, AppEnv> = async (c) => {
  const { accounts, assets } = await listLedgerAccounts(tenantOf(c), c.req.valid("param").id);
  const format = (value: string, unit: string, assetId: string | null) => {
    const scale = assetId ? assets.get(assetId)?.quantityScale : undefined;
    return scale === undefined ? formatMoney(new Dec(value), unit) : formatQuantity(new Dec(value), scale);
  };
  const items = accounts.map((a) => ({
    id: a.id,
    kind: a.kind,
    unit: a.unit,
    balance: format(a.balance, a.unit, a.assetId),
    reserved: format(a.reserved, a.unit, a.assetId),
    may_go_negative: a.mayGoNegative,
  }));
  return c.json({ items }, 200);
};
