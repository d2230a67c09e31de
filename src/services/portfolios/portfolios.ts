import { read } from "../../db/batch";
import { findOrganization } from "../../db/repositories/organizations.repository";
import {
  countTransactions,
  deletePortfolio as deleteRow,
  insertPortfolio,
  listPortfolios,
  type PortfolioRow,
  portfolioById,
  updatePortfolio as updateRow,
} from "../../db/repositories/portfolios.repository";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { bodyError, portfolioFor, visiblePortfolio } from "./access";

const summaryOf = (row: PortfolioRow) => ({
  name: row.name,
  organizationId: row.organizationId,
  baseCurrency: row.baseCurrency,
  allowNegativeCash: row.allowNegativeCash,
  status: row.status,
});

export async function createPortfolio(
  ctx: TenantContext,
  input: { organizationId: string; name: string; baseCurrency: string; allowNegativeCash: boolean },
): Promise<PortfolioRow> {
  return ctx.transaction(async (tx) => {
    const organization = await findOrganization(tx, ctx.tenantId, input.organizationId);
    if (!organization || !ctx.access.canSee(organization.id)) {
      throw bodyError("not_found", "/organization_id", "No such organization.");
    }
    ctx.access.requireIn("portfolios:write", organization.id);
    const row = await insertPortfolio(tx, {
      ...input,
      tenantId: ctx.tenantId,
      ownerId: ctx.actor.type === "user" ? ctx.actor.id : null,
    });
    await recordAudit(tx, ctx, {
      action: "portfolio.created",
      resourceType: "portfolio",
      resourceId: row.id,
      after: summaryOf(row),
    });
    return row;
  });
}

/** The portfolios of the organizations the caller can see, newest first. */
export async function listVisiblePortfolios(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor: string | undefined;
    status: "active" | "archived" | undefined;
    organizationId: string | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const visible = ctx.visibleOrganizations();
  const { rows } = await ctx.read((db) => ({
    rows: read(
      listPortfolios(db, ctx.tenantId, {
        organizationIds: visible,
        // One organization asked for: among the visible ones (an invisible one answers like an empty one).
        organizationId: options.organizationId,
        status: options.status,
        before,
        limit: options.limit + 1,
      }),
    ),
  }));
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getPortfolio(ctx: TenantContext, id: string): Promise<PortfolioRow> {
  const { row } = await ctx.read((db) => ({
    row: read(portfolioById(db, ctx.tenantId, id), (rows) => rows[0]),
  }));
  return visiblePortfolio(ctx, row, "portfolios:read");
}

const isCashCheck = (error: unknown): boolean => {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e?.code ?? e?.cause?.code) === "23514";
};

/**
 * Renames, archives or reactivates a portfolio, or changes whether its cash may go negative - refused
 * while cash is negative or committed beyond the balance (the accounts' CHECK judges, under the lock).
 */
export async function updatePortfolio(
  ctx: TenantContext,
  id: string,
  patch: {
    name?: string | undefined;
    allowNegativeCash?: boolean | undefined;
    status?: "active" | "archived" | undefined;
  },
): Promise<PortfolioRow> {
  const fields = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  try {
    return await ctx.transaction(async (tx) => {
      const before = await portfolioFor(tx, ctx, id, "portfolios:write", { lock: true });
      const after = Object.keys(fields).length > 0 ? await updateRow(tx, ctx.tenantId, id, fields) : before;
      if (!after) throw new AppError("not_found", "No such portfolio.");
      await recordAudit(tx, ctx, {
        action: "portfolio.updated",
        resourceType: "portfolio",
        resourceId: id,
        before: summaryOf(before),
        after: summaryOf(after),
      });
      return after;
    });
  } catch (error) {
    if (isCashCheck(error)) {
      throw new AppError(
        "conflict",
        "Cash is negative or reserved beyond its balance; it must stay allowed to be.",
      );
    }
    throw error;
  }
}

/** Deletes a portfolio that never had a transaction; one with history is archived instead (409). */
export async function deletePortfolio(ctx: TenantContext, id: string): Promise<void> {
  await ctx.transaction(async (tx) => {
    const row = await portfolioFor(tx, ctx, id, "portfolios:write", { lock: true });
    const transactions = await countTransactions(tx, ctx.tenantId, id);
    if (transactions > 0) {
      throw new AppError(
        "conflict",
        `The portfolio has ${transactions} transaction${transactions === 1 ? "" : "s"}: its history is kept. Archive it instead (PATCH status "archived").`,
      );
    }
    await deleteRow(tx, ctx.tenantId, id);
    await recordAudit(tx, ctx, {
      action: "portfolio.deleted",
      resourceType: "portfolio",
      resourceId: id,
      before: summaryOf(row),
    });
  });
}
