import type { Transaction } from "../../db/client";
import { type AssetRow, findAsset } from "../../db/repositories/assets.repository";
import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import { insertTransaction, type TransactionRecord } from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { bodyError, portfolioFor } from "./access";
import { assertCovered, assertCoveredInTime } from "./coverage";
import { accountsFor, guardingOverdrafts, moveHolds, post } from "./ledger-writes";
import { entriesFor } from "./postings";
import { type PricedTerms, priceTerms, type TransactionInput } from "./terms";

export type { TransactionInput } from "./terms";

// Clocks disagree a little; an execution time further ahead is a mistake, not a trade.
const CLOCK_SKEW_MS = 60_000;

export interface PostedTransaction {
  record: TransactionRecord;
  asset: AssetRow | null;
}

/** What the audit trail records of a transaction. */
export const transactionSummary = (row: TransactionRecord) => ({
  portfolioId: row.portfolioId,
  type: row.type,
  status: row.status,
  assetId: row.assetId,
  quantity: row.quantity,
  price: row.price,
  amount: row.amount,
  fees: row.fees,
  currency: row.currency,
  executedAt: row.executedAt,
  reversalOf: row.reversalOf,
});

/** The archived refuse new money movements; they can be reactivated first. */
export function assertActive(portfolio: PortfolioRow): void {
  if (portfolio.status === "archived") {
    throw new AppError("conflict", "The portfolio is archived: it takes no new transactions.");
  }
}

async function resolveAsset(tx: Transaction, ctx: TenantContext, input: TransactionInput, currency: string) {
  if (!input.assetId) return null;
  const asset = await findAsset(tx, ctx.tenantId, input.assetId);
  if (!asset) throw bodyError("not_found", "/asset_id", "No such asset.");
  if (asset.currency !== currency) {
    // One currency per portfolio: without FX rates a trade in another currency has no value in it.
    throw bodyError(
      "validation_failed",
      "/asset_id",
      `${asset.symbol} trades in ${asset.currency}, not ${currency}.`,
    );
  }
  return asset;
}

/**
 * Posts a transaction: settled at once (its balanced entries written) or pending (what it will take out
 * held in reserve until it settles or is cancelled). Under the portfolio's lock, nothing it takes exceeds
 * what is available - now, and at every point from its execution time on, should it be backdated.
 */
export async function createTransaction(
  ctx: TenantContext,
  portfolioId: string,
  input: TransactionInput,
  options: { stalenessSeconds: number },
): Promise<PostedTransaction> {
  return guardingOverdrafts(() =>
    ctx.transaction(async (tx) => {
      const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:write", { lock: true });
      assertActive(portfolio);
      const now = ctx.now();
      const executedAt = input.executedAt ?? now;
      if (executedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
        throw bodyError(
          "validation_failed",
          "/executed_at",
          "A transaction cannot be executed in the future.",
        );
      }
      const currency = portfolio.baseCurrency;
      if (input.currency !== undefined && input.currency !== currency) {
        throw bodyError("validation_failed", "/currency", `The portfolio holds ${currency} only.`);
      }
      const asset = await resolveAsset(tx, ctx, input, currency);
      const terms = await priceTerms(tx, ctx.tenantId, input, { asset, currency, executedAt, ...options });
      const entries = entriesFor(terms, portfolio.allowNegativeCash);
      const accounts = await accountsFor(tx, ctx.tenantId, portfolio.id, entries);
      const pointer = terms.type === "sell" || terms.type === "buy" ? "/quantity" : "/amount";
      assertCovered(accounts, entries, pointer);
      await assertCoveredInTime(tx, ctx, portfolio, terms, executedAt, input.pending, pointer);

      const record = await insertTransaction(tx, recordOf(ctx, portfolio, terms, input, executedAt), now);
      const ids = { tenantId: ctx.tenantId, portfolioId: portfolio.id, transactionId: record.id };
      if (input.pending) await moveHolds(tx, ctx.tenantId, accounts, entries, 1);
      else await post(tx, ids, accounts, entries);
      await recordAudit(tx, ctx, {
        action: "transaction.created",
        resourceType: "portfolio_transaction",
        resourceId: record.id,
        after: transactionSummary(record),
      });
      return { record, asset };
    }),
  );
}

function recordOf(
  ctx: TenantContext,
  portfolio: PortfolioRow,
  terms: PricedTerms,
  input: TransactionInput,
  executedAt: Date,
) {
  return {
    tenantId: ctx.tenantId,
    portfolioId: portfolio.id,
    type: terms.type,
    status: input.pending ? ("pending" as const) : ("settled" as const),
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
