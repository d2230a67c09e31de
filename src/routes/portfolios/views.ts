import type { z } from "@hono/zod-openapi";
import { Dec, formatMoney, formatPrice, formatQuantity } from "../../services/money/decimal";
import type { PostedTransaction } from "../../services/portfolios/transactions";
import type { Portfolio } from "../../services/portfolios/types";
import type { PortfolioSchema, TransactionSchema } from "./schemas";

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const toPortfolioView = (row: Portfolio): z.infer<typeof PortfolioSchema> => ({
  id: row.id,
  organization_id: row.organizationId,
  owner_id: row.ownerId,
  customer_id: row.customerId,
  name: row.name,
  base_currency: row.baseCurrency,
  allow_negative_cash: row.allowNegativeCash,
  status: row.status,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

/** Quantities to the asset's precision, money to the currency's minor unit, prices as given. */
export function toTransactionView({
  record,
  asset,
  check,
}: PostedTransaction): z.infer<typeof TransactionSchema> {
  return {
    id: record.id,
    portfolio_id: record.portfolioId,
    type: record.type,
    status: record.status,
    asset_id: record.assetId,
    symbol: asset?.symbol ?? null,
    quantity:
      record.quantity === null ? null : formatQuantity(new Dec(record.quantity), asset?.quantityScale ?? 18),
    price: record.price === null ? null : formatPrice(new Dec(record.price)),
    price_source: record.priceSource,
    amount: formatMoney(new Dec(record.amount), record.currency),
    fees: formatMoney(new Dec(record.fees), record.currency),
    currency: record.currency,
    executed_at: record.executedAt.toISOString(),
    note: record.note,
    reversal_of: record.reversalOf,
    reversed_by: record.reversedBy,
    created_at: record.createdAt.toISOString(),
    settled_at: iso(record.settledAt),
    cancelled_at: iso(record.cancelledAt),
    ...(check ? { check } : {}),
  };
}
