import { read } from "../../db/batch";
import { assetsAmong } from "../../db/repositories/assets.repository";
import { accountAssets, listPostings, portfolioAccounts } from "../../db/repositories/ledger.repository";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import {
  listTransactions,
  type TransactionFilters,
  transactionAssets,
  transactionById,
} from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import { mapPage, pageOf, seqCursor, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";
import { visiblePortfolio } from "./access";
import type { PostedTransaction } from "./transactions";

// Each read below is one batch: its statements are all keyed by the portfolio (assets through a subquery), so
// none waits on another's answer, and the portfolio is judged on what the same batch read.

/** The portfolio's transactions, most recently executed first, filtered. */
export async function listPortfolioTransactions(
  ctx: TenantContext,
  portfolioId: string,
  options: TransactionFilters & { limit: number; cursor: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const { tenantId } = ctx;
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
    rows: read(listTransactions(db, tenantId, portfolioId, { ...options, before, limit: options.limit + 1 })),
    assets: read(assetsAmong(db, tenantId, transactionAssets(db, tenantId, portfolioId))),
  }));
  visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  const page = pageOf(found.rows, options.limit, (row) => ({ createdAt: row.executedAt, id: row.id }));
  const assets = new Map(found.assets.map((asset) => [asset.id, asset]));
  return mapPage(
    page,
    (record): PostedTransaction => ({
      record,
      asset: record.assetId ? (assets.get(record.assetId) ?? null) : null,
    }),
  );
}

export async function getPortfolioTransaction(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
): Promise<PostedTransaction> {
  const { tenantId } = ctx;
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
    record: read(transactionById(db, tenantId, portfolioId, id), (rows) => rows[0]),
    assets: read(assetsAmong(db, tenantId, transactionAssets(db, tenantId, portfolioId, id))),
  }));
  visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  if (!found.record) throw new AppError("not_found", "No such transaction.");
  return { record: found.record, asset: found.assets[0] ?? null };
}

/** The portfolio's journal, newest entry first. */
export async function listLedger(
  ctx: TenantContext,
  portfolioId: string,
  options: { limit: number; cursor: string | undefined; transactionId: string | undefined },
) {
  const before = seqCursor(options.cursor);
  const { tenantId } = ctx;
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
    rows: read(
      listPostings(db, tenantId, portfolioId, {
        before,
        transactionId: options.transactionId,
        limit: options.limit + 1,
      }),
    ),
  }));
  const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  return { portfolio, ...pageOf(found.rows, options.limit, (row) => ({ seq: row.posting.seq })) };
}

/** The portfolio's ledger accounts with their balances. */
export async function listLedgerAccounts(ctx: TenantContext, portfolioId: string) {
  const { tenantId } = ctx;
  const found = await ctx.read((db) => ({
    portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
    accounts: read(portfolioAccounts(db, tenantId, portfolioId)),
    assets: read(assetsAmong(db, tenantId, accountAssets(db, tenantId, portfolioId))),
  }));
  const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:read");
  return {
    portfolio,
    accounts: found.accounts,
    assets: new Map(found.assets.map((asset) => [asset.id, asset])),
  };
}
