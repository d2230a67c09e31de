import { findAssetsById } from "../../db/repositories/assets.repository";
import { listPostings, portfolioAccounts } from "../../db/repositories/ledger.repository";
import {
  findTransaction,
  listTransactions,
  type TransactionFilters,
} from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import { mapPage, pageOf, seqCursor, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import { portfolioFor } from "./access";
import type { PostedTransaction } from "./transactions";

/** The portfolio's transactions, most recently executed first, filtered. */
export async function listPortfolioTransactions(
  ctx: TenantContext,
  portfolioId: string,
  options: TransactionFilters & { limit: number; cursor: string | undefined },
) {
  const before = timeCursor(options.cursor);
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const rows = await listTransactions(tx, ctx.tenantId, portfolio.id, {
      ...options,
      before,
      limit: options.limit + 1,
    });
    const page = pageOf(rows, options.limit, (row) => ({ createdAt: row.executedAt, id: row.id }));
    const ids = [...new Set(page.items.flatMap((row) => (row.assetId ? [row.assetId] : [])))];
    const assets = new Map((await findAssetsById(tx, ctx.tenantId, ids)).map((asset) => [asset.id, asset]));
    return mapPage(
      page,
      (record): PostedTransaction => ({
        record,
        asset: record.assetId ? (assets.get(record.assetId) ?? null) : null,
      }),
    );
  });
}

export async function getPortfolioTransaction(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
): Promise<PostedTransaction> {
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const record = await findTransaction(tx, ctx.tenantId, portfolio.id, id);
    if (!record) throw new AppError("not_found", "No such transaction.");
    const [asset] = record.assetId ? await findAssetsById(tx, ctx.tenantId, [record.assetId]) : [];
    return { record, asset: asset ?? null };
  });
}

/** The portfolio's journal, newest entry first. */
export async function listLedger(
  ctx: TenantContext,
  portfolioId: string,
  options: { limit: number; cursor: string | undefined; transactionId: string | undefined },
) {
  const before = seqCursor(options.cursor);
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const rows = await listPostings(tx, ctx.tenantId, portfolio.id, {
      before,
      transactionId: options.transactionId,
      limit: options.limit + 1,
    });
    return { portfolio, ...pageOf(rows, options.limit, (row) => ({ seq: row.posting.seq })) };
  });
}

/** The portfolio's ledger accounts with their balances. */
export async function listLedgerAccounts(ctx: TenantContext, portfolioId: string) {
  return ctx.transaction(async (tx) => {
    const portfolio = await portfolioFor(tx, ctx, portfolioId, "portfolios:read");
    const accounts = await portfolioAccounts(tx, ctx.tenantId, portfolio.id);
    const ids = [...new Set(accounts.flatMap((a) => (a.assetId ? [a.assetId] : [])))];
    const assets = new Map((await findAssetsById(tx, ctx.tenantId, ids)).map((asset) => [asset.id, asset]));
    return { portfolio, accounts, assets };
  });
}
