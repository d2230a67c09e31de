import { type AssetRow, findAssetsById } from "../../db/repositories/assets.repository";
import { portfolioAccounts } from "../../db/repositories/ledger.repository";
import { latestPrices } from "../../db/repositories/prices.repository";
import { bookTransactions } from "../../db/repositories/transactions.repository";
import { Dec, ZERO } from "../money/decimal";
import type { TenantContext } from "../tenancy/context";
import { portfolioFor } from "./access";
import { byExecution, isEffective, replay } from "./book";

export interface HoldingLine {
  asset: AssetRow;
  quantity: Dec;
  reserved: Dec;
  cost: Dec;
  price: { value: Dec; at: Date; source: "stored" | "trade" } | null;
  marketValue: Dec | null;
}

/**
 * What the portfolio holds: quantities and cash from the ledger (settled balances, and what pending
 * transactions reserve), cost at weighted average from the books, each position at its latest stored
 * price (or, with none stored, its latest trade price).
 */
export async function holdingsOf(ctx: TenantContext, portfolioId: string) {
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const accounts = await portfolioAccounts(tx, ctx.tenantId, portfolio.id);
    const rows = await bookTransactions(tx, ctx.tenantId, portfolio.id);
    const { book } = replay(rows);
    const cashAccount = accounts.find((a) => a.kind === "cash" && a.unit === portfolio.baseCurrency);
    const held = accounts.filter(
      (a) => a.kind === "position" && !(new Dec(a.balance).isZero() && new Dec(a.reserved).isZero()),
    );
    const ids = held.map((a) => a.unit);
    const assets = new Map((await findAssetsById(tx, ctx.tenantId, ids)).map((a) => [a.id, a]));
    const stored = new Map((await latestPrices(tx, ctx.tenantId, ids)).map((p) => [p.assetId, p]));
    const traded = new Map<string, { value: Dec; at: Date }>();
    for (const row of rows.filter(isEffective).sort(byExecution)) {
      if (row.assetId && row.price)
        traded.set(row.assetId, { value: new Dec(row.price), at: row.executedAt });
    }
    const lines: HoldingLine[] = held.flatMap((account) => {
      const asset = assets.get(account.unit);
      if (!asset) return [];
      const quantity = new Dec(account.balance);
      const point = stored.get(asset.id);
      const trade = traded.get(asset.id);
      const price = point
        ? { value: new Dec(point.price), at: point.at, source: "stored" as const }
        : trade
          ? { ...trade, source: "trade" as const }
          : null;
      return [
        {
          asset,
          quantity,
          reserved: new Dec(account.reserved),
          cost: book.positions.get(asset.id)?.cost ?? ZERO,
          price,
          marketValue: price ? quantity.mul(price.value) : null,
        },
      ];
    });
    const cash = {
      balance: new Dec(cashAccount?.balance ?? 0),
      reserved: new Dec(cashAccount?.reserved ?? 0),
    };
    return { portfolio, cash, lines, totals: totalsOf(cash.balance, lines) };
  });
}

/** Portfolio value (positions at market plus cash) and each part's weight in it (none when it is not positive). */
function totalsOf(cash: Dec, lines: HoldingLine[]) {
  const positions = lines.reduce((sum, line) => sum.add(line.marketValue ?? ZERO), ZERO);
  const cost = lines.reduce((sum, line) => sum.add(line.cost), ZERO);
  const total = positions.add(cash);
  const weight = (value: Dec | null) => (value && total.gt(0) ? value.div(total) : null);
  return {
    positions,
    cost,
    total,
    unrealized: positions.sub(
      lines.reduce((sum, line) => sum.add(line.marketValue ? line.cost : ZERO), ZERO),
    ),
    cashWeight: weight(cash),
    weights: new Map(lines.map((line) => [line.asset.id, weight(line.marketValue)])),
  };
}
