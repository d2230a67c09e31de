import { read, reusable } from "../../db/batch";
import type { AssetRow } from "../../db/repositories/assets.repository";
import { holdingAccounts } from "../../db/repositories/ledger.repository";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import { bookTransactions } from "../../db/repositories/transactions.repository";
import { Dec, minorUnits, ZERO } from "../money/decimal";
import type { TenantContext } from "../tenancy/context";
import { visiblePortfolio } from "./access";
import { byExecution, isEffective, replay } from "./book";

export interface HoldingLine {
  asset: Pick<AssetRow, "id" | "symbol" | "name" | "quantityScale">;
  /** Units held (settled). */
  quantity: Dec;
  /** Units pending sells have set aside. */
  reserved: Dec;
  /** Units free to sell: held less reserved. */
  available: Dec;
  /** Cost basis at weighted average. */
  cost: Dec;
  /**
   * Cost per unit, kept to four more places than the currency so it multiplies back faithfully; null
   * when nothing is held.
   */
  averageCost: Dec | null;
  price: { value: Dec; at: Date; source: "stored" | "trade" } | null;
  /** Quantity at the price; null without a price. */
  marketValue: Dec | null;
  /** Market value less cost; null without a price. */
  unrealized: Dec | null;
  /** Share of the portfolio's value; null without a price or when the portfolio is worth nothing. */
  weight: Dec | null;
}

/** The portfolio's cash in its base currency. */
export interface CashHolding {
  balance: Dec;
  /** What pending buys and withdrawals have set aside. */
  reserved: Dec;
  /** Free to spend: balance less reserved. */
  available: Dec;
  /** Share of the portfolio's value; null when the portfolio is worth nothing. */
  weight: Dec | null;
}

/**
 * What the portfolio holds: quantities and cash from the ledger (settled balances, and what pending
 * transactions reserve), cost at weighted average from the books, each position at its latest stored
 * price (or, with none stored, its latest trade price), with what is free to use, average cost,
 * unrealized gain and weight worked out.
 */
type Portfolio = { tenantId: string; portfolioId: string };
const bookStatement = reusable((db, { tenantId, portfolioId }: Portfolio) =>
  bookTransactions(db, tenantId, portfolioId),
);
const accountsStatement = reusable((db, { tenantId, portfolioId }: Portfolio) =>
  holdingAccounts(db, tenantId, portfolioId),
);

export async function holdingsOf(ctx: TenantContext, portfolioId: string) {
  const { tenantId } = ctx;
  // One batch: every statement is keyed by the portfolio, so none waits on another's answer.
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
    accounts: read(accountsStatement(db, { tenantId, portfolioId })),
    rows: read(bookStatement(db, { tenantId, portfolioId })),
  }));
  const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  const { accounts, rows } = found;
  const { book } = replay(rows);
  const cashAccount = accounts.find((a) => a.kind === "cash" && a.unit === portfolio.baseCurrency);
  const held = accounts.filter(
    (a) => a.kind === "position" && !(new Dec(a.balance).isZero() && new Dec(a.reserved).isZero()),
  );
  const traded = new Map<string, { value: Dec; at: Date }>();
  for (const row of rows.filter(isEffective).sort(byExecution)) {
    if (row.assetId && row.price) traded.set(row.assetId, { value: new Dec(row.price), at: row.executedAt });
  }
  const costScale = minorUnits(portfolio.baseCurrency) + 4;
  const priced = held.flatMap(({ asset, price: point, ...account }) => {
    if (!asset) return [];
    const quantity = new Dec(account.balance);
    const trade = traded.get(asset.id);
    const price = point
      ? { value: new Dec(point.value), at: point.at, source: "stored" as const }
      : trade
        ? { ...trade, source: "trade" as const }
        : null;
    const reserved = new Dec(account.reserved);
    const cost = book.positions.get(asset.id)?.cost ?? ZERO;
    const marketValue = price ? quantity.mul(price.value) : null;
    return [
      {
        asset,
        quantity,
        reserved,
        available: quantity.sub(reserved),
        cost,
        averageCost: quantity.isZero() ? null : cost.div(quantity).toDecimalPlaces(costScale),
        price,
        marketValue,
        unrealized: marketValue ? marketValue.sub(cost) : null,
      },
    ];
  });
  const balance = new Dec(cashAccount?.balance ?? 0);
  const reserved = new Dec(cashAccount?.reserved ?? 0);
  const totals = totalsOf(balance, priced);
  const weight = (value: Dec | null) => (value && totals.total.gt(0) ? value.div(totals.total) : null);
  const cash: CashHolding = {
    balance,
    reserved,
    available: balance.sub(reserved),
    weight: weight(balance),
  };
  const lines: HoldingLine[] = priced.map((line) => ({ ...line, weight: weight(line.marketValue) }));
  return { portfolio, cash, lines, totals };
}

/** Portfolio value (positions at market plus cash), cost, and the gain not yet realized on priced positions. */
function totalsOf(cash: Dec, lines: ReadonlyArray<Omit<HoldingLine, "weight">>) {
  const positions = lines.reduce((sum, line) => sum.add(line.marketValue ?? ZERO), ZERO);
  return {
    positions,
    cost: lines.reduce((sum, line) => sum.add(line.cost), ZERO),
    total: positions.add(cash),
    unrealized: lines.reduce((sum, line) => sum.add(line.unrealized ?? ZERO), ZERO),
  };
}
