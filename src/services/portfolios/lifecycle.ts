/**
 * What happens to a transaction after it is posted: a pending one settles (its entries are written and
 * its reserve released) or is cancelled (reserve released, nothing written); a settled one is corrected
 * only by a reversal - a new transaction whose entries mirror the original's. Nothing is edited or deleted.
 */
import type { Transaction } from "../../db/client";
import { findAsset } from "../../db/repositories/assets.repository";
import { postingsOfTransaction } from "../../db/repositories/ledger.repository";
import {
  findTransaction,
  insertTransaction,
  setTransactionStatus,
  type TransactionRecord,
} from "../../db/repositories/transactions.repository";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { Dec } from "../money/decimal";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { portfolioFor } from "./access";
import { assertCovered, assertCoveredWithout } from "./coverage";
import { accountsFor, guardingOverdrafts, moveHolds, post } from "./ledger-writes";
import { type Entry, entriesFor, termsOf } from "./postings";
import { assertActive, type PostedTransaction, transactionSummary } from "./transactions";

const conflict = (detail: string) => new AppError("conflict", detail);

async function lockedTransaction(tx: Transaction, ctx: TenantContext, portfolioId: string, id: string) {
  const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:write", { lock: true });
  const record = await findTransaction(tx, ctx.tenantId, portfolio.id, id);
  if (!record) throw new AppError("not_found", "No such transaction.");
  return { portfolio, record };
}

async function withAsset(
  tx: Transaction,
  ctx: TenantContext,
  record: TransactionRecord,
): Promise<PostedTransaction> {
  return {
    record,
    asset: record.assetId ? ((await findAsset(tx, ctx.tenantId, record.assetId)) ?? null) : null,
  };
}

/** Settles or cancels a pending transaction. */
export async function concludePending(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
  outcome: "settled" | "cancelled",
): Promise<PostedTransaction> {
  return guardingOverdrafts(() =>
    ctx.transaction(async (tx) => {
      const { portfolio, record } = await lockedTransaction(tx, ctx, portfolioId, id);
      if (record.status !== "pending") throw conflict(`The transaction is ${record.status}, not pending.`);
      const entries = entriesFor(termsOf(record), portfolio.allowNegativeCash);
      const accounts = await accountsFor(tx, ctx.tenantId, portfolio.id, entries);
      // Released before posting: the entries then take what the reserve kept for them.
      await moveHolds(tx, ctx.tenantId, accounts, entries, -1);
      if (outcome === "settled") {
        await post(
          tx,
          { tenantId: ctx.tenantId, portfolioId: portfolio.id, transactionId: record.id },
          accounts,
          entries,
        );
      }
      const changed = await setTransactionStatus(tx, ctx.tenantId, record.id, outcome, ctx.now());
      if (!changed) throw conflict("The transaction is no longer pending.");
      const after = { ...record, ...changed, reversedBy: null };
      await recordAudit(tx, ctx, {
        action: outcome === "settled" ? "transaction.settled" : "transaction.cancelled",
        resourceType: "portfolio_transaction",
        resourceId: record.id,
        before: { status: record.status },
        after: { status: changed.status },
      });
      return withAsset(tx, ctx, after);
    }),
  );
}

/** Posts the mirror image of a settled transaction, linked to it; the original stays as it was. */
export async function reverseTransaction(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
): Promise<PostedTransaction> {
  // Two reversals racing past the checks: the unique index on reversal_of lets one through.
  return unlessDuplicate(
    ["portfolio_transactions_reversal_of_key"],
    () => conflict("The transaction was already reversed."),
    () =>
      guardingOverdrafts(() =>
        ctx.transaction(async (tx) => {
          const { portfolio, record } = await lockedTransaction(tx, ctx, portfolioId, id);
          assertActive(portfolio);
          if (record.status !== "settled")
            throw conflict(`A ${record.status} transaction is not reversed; cancel it.`);
          if (record.reversalOf)
            throw conflict("A reversal is not reversed; post a new transaction instead.");
          if (record.reversedBy)
            throw conflict(`The transaction was already reversed by ${record.reversedBy}.`);

          const original = await postingsOfTransaction(tx, ctx.tenantId, record.id);
          const entries: Entry[] = original.map(({ posting, account }) => ({
            account: {
              kind: account.kind,
              unit: account.unit,
              assetId: account.assetId,
              mayGoNegative: account.mayGoNegative,
            },
            amount: new Dec(posting.amount).neg(),
          }));
          const accounts = await accountsFor(tx, ctx.tenantId, portfolio.id, entries);
          assertCovered(accounts, entries, null);
          await assertCoveredWithout(tx, ctx, portfolio, record);

          const reversal = await insertTransaction(
            tx,
            {
              ...pick(record),
              tenantId: ctx.tenantId,
              status: "settled",
              executedAt: ctx.now(),
              note: `Reversal of ${record.id}`,
              reversalOf: record.id,
              createdByType: ctx.actor.type,
              createdBy: ctx.actor.id,
            },
            ctx.now(),
          );
          await post(
            tx,
            { tenantId: ctx.tenantId, portfolioId: portfolio.id, transactionId: reversal.id },
            accounts,
            entries,
          );
          await recordAudit(tx, ctx, {
            action: "transaction.reversed",
            resourceType: "portfolio_transaction",
            resourceId: record.id,
            after: { reversedBy: reversal.id, ...transactionSummary(reversal) },
          });
          return withAsset(tx, ctx, reversal);
        }),
      ),
  );
}

const pick = (record: TransactionRecord) => ({
  portfolioId: record.portfolioId,
  type: record.type,
  assetId: record.assetId,
  quantity: record.quantity,
  price: record.price,
  priceSource: record.priceSource,
  amount: record.amount,
  fees: record.fees,
  currency: record.currency,
});
