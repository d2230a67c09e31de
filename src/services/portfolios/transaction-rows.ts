/** A new transaction's record, and its row as the database's write call takes it (snake_case). */
import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import type { TransactionRecord } from "../../db/repositories/transactions.repository";
import type { TenantContext } from "../tenancy/context";
import type { PricedTerms, TransactionInput } from "./terms";

/** A transaction as the database stores it (snake_case), for the write call. */
export function transactionRow(record: TransactionRecord): Record<string, unknown> {
  return {
    id: record.id,
    type: record.type,
    status: record.status,
    asset_id: record.assetId,
    quantity: record.quantity,
    price: record.price,
    price_source: record.priceSource,
    amount: record.amount,
    fees: record.fees,
    currency: record.currency,
    executed_at: record.executedAt.toISOString(),
    note: record.note,
    reversal_of: record.reversalOf,
    created_by_type: record.createdByType,
    created_by: record.createdBy,
    created_at: record.createdAt.toISOString(),
    settled_at: record.settledAt?.toISOString() ?? null,
    cancelled_at: record.cancelledAt?.toISOString() ?? null,
  };
}

/** The row a new transaction becomes, from its priced terms: pending while the money check holds it. */
export function recordOf(
  ctx: TenantContext,
  portfolio: PortfolioRow,
  terms: PricedTerms,
  input: TransactionInput,
  executedAt: Date,
  pending: boolean,
) {
  return {
    tenantId: ctx.tenantId,
    portfolioId: portfolio.id,
    type: terms.type,
    status: pending ? ("pending" as const) : ("settled" as const),
    assetId: terms.assetId,
    quantity: terms.quantity?.toFixed() ?? null,
    price: terms.price?.toFixed() ?? null,
    priceSource: terms.priceSource,
    amount: terms.amount.toFixed(),
    fees: terms.fees.toFixed(),
    currency: terms.currency,
    executedAt,
    note: input.note ?? null,
    reversalOf: null,
    createdByType: ctx.actor.type,
    createdBy: ctx.actor.id,
  };
}
