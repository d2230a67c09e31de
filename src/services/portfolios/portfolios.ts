import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { ownerRequirement } from "../../db/repositories/money.repository";
import { organizationRequirement } from "../../db/repositories/organizations.repository";
import {
  listPortfolios,
  type PortfolioRow,
  portfolioAsRead,
  portfolioById,
  portfolioDeleteStatements,
  portfolioUpdateStatements,
  transactionCount,
} from "../../db/repositories/portfolios.repository";
import { asRead, meetingRequirements } from "../../db/requirements";
import { portfolios } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { bodyError, visiblePortfolio } from "./access";

const summaryOf = (
  row: Pick<
    PortfolioRow,
    "name" | "organizationId" | "baseCurrency" | "allowNegativeCash" | "status" | "customerId"
  >,
) => ({
  name: row.name,
  organizationId: row.organizationId,
  baseCurrency: row.baseCurrency,
  allowNegativeCash: row.allowNegativeCash,
  status: row.status,
  customerId: row.customerId,
});

const noCustomer = () => bodyError("not_found", "/customer_id", "No such customer.");

/**
 * Creates a portfolio in one round trip: the caller's right in the organization, the organization (held
 * against deletion), the row and its audit event in one batch, which fails whole if the organization is not
 * the tenant's.
 */
export async function createPortfolio(
  ctx: TenantContext,
  input: {
    organizationId: string;
    name: string;
    baseCurrency: string;
    allowNegativeCash: boolean;
    customerId: string | null;
  },
): Promise<PortfolioRow> {
  const values = {
    ...input,
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    ownerId: ctx.actor.type === "user" ? ctx.actor.id : null,
  };
  const event = eventOf(ctx, {
    action: "portfolio.created",
    resourceType: "portfolio",
    resourceId: values.id,
    after: summaryOf({ ...values, status: "active" }),
  });
  const noOrganization = () => bodyError("not_found", "/organization_id", "No such organization.");
  const written = await meetingRequirements(
    { no_organization: noOrganization, no_customer: noCustomer },
    () =>
      ctx.write("portfolios:write", input.organizationId, (db) => ({
        organization: read(
          organizationRequirement(db, ctx.tenantId, input.organizationId, "no_organization"),
        ),
        ...(input.customerId
          ? { customer: read(ownerRequirement(db, ctx.tenantId, input.customerId, "no_customer")) }
          : {}),
        row: read(db.insert(portfolios).values(values).returning(), (rows) => rows[0]),
        audit: read(auditEventStatement(db, event)),
      })),
  ).catch((error: unknown) => {
    // An organization the caller cannot see is one that does not exist, as before it was written.
    if (
      error instanceof AppError &&
      error.code === "not_found" &&
      error.errors?.[0]?.pointer !== "/customer_id"
    ) {
      throw noOrganization();
    }
    throw error;
  });
  if (!written.row) throw new Error("portfolio insert returned nothing");
  ctx.audited += 1;
  return written.row;
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
 * Decided on one read, written in one batch that holds only if the portfolio is still as read.
 */
export async function updatePortfolio(
  ctx: TenantContext,
  id: string,
  patch: {
    name?: string | undefined;
    allowNegativeCash?: boolean | undefined;
    status?: "active" | "archived" | undefined;
    /** The account holder; null: a house portfolio. */
    customerId?: string | null | undefined;
  },
): Promise<PortfolioRow> {
  const fields = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  try {
    return await asRead(STALE, () =>
      meetingRequirements({ no_customer: noCustomer }, async () => {
        const before = await portfolioToWrite(ctx, id);
        const event = eventOf(ctx, {
          action: "portfolio.updated",
          resourceType: "portfolio",
          resourceId: id,
          before: summaryOf(before),
          after: summaryOf({ ...before, ...fields }),
        });
        const changes = Object.keys(fields).length > 0;
        const written = await ctx.write("portfolios:write", before.organizationId, (db) => {
          const { row, cash } = portfolioUpdateStatements(db, ctx.tenantId, id, fields);
          return {
            asRead: read(portfolioAsRead(db, before)),
            ...(patch.customerId
              ? { customer: read(ownerRequirement(db, ctx.tenantId, patch.customerId, "no_customer")) }
              : {}),
            ...(changes ? { row: read(row, (rows) => rows[0]) } : {}),
            ...(cash ? { cash: read(cash) } : {}),
            audit: read(auditEventStatement(db, event)),
          };
        });
        ctx.audited += 1;
        return (written.row as PortfolioRow | undefined) ?? before;
      }),
    );
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

/**
 * Deletes a portfolio that never had a transaction; one with history is archived instead (409). Decided on
 * one read; the deletion holds only if the portfolio is still as read and still has no transaction.
 */
export async function deletePortfolio(ctx: TenantContext, id: string): Promise<void> {
  await asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      row: read(portfolioById(db, ctx.tenantId, id), (rows) => rows[0]),
      transactions: read(transactionCount(db, ctx.tenantId, id), (rows) => rows[0]?.n ?? 0),
    }));
    const row = visiblePortfolio(ctx, found.row, "portfolios:write");
    const { transactions } = found;
    if (transactions > 0) {
      throw new AppError(
        "conflict",
        `The portfolio has ${transactions} transaction${transactions === 1 ? "" : "s"}: its history is kept. Archive it instead (PATCH status "archived").`,
      );
    }
    const event = eventOf(ctx, {
      action: "portfolio.deleted",
      resourceType: "portfolio",
      resourceId: id,
      before: summaryOf(row),
    });
    await ctx.write("portfolios:write", row.organizationId, (db) => ({
      asRead: read(portfolioAsRead(db, row, { unused: true })),
      ...portfolioDeleteStatements(db, ctx.tenantId, id),
      audit: read(auditEventStatement(db, event)),
    }));
    ctx.audited += 1;
  });
}

const STALE = "The portfolio kept changing while this request was made; retry it.";

/** The portfolio as a write decides on it: read in one call, visible to the caller and theirs to write. */
async function portfolioToWrite(ctx: TenantContext, id: string): Promise<PortfolioRow> {
  const { row } = await ctx.read((db) => ({
    row: read(portfolioById(db, ctx.tenantId, id), (rows) => rows[0]),
  }));
  return visiblePortfolio(ctx, row, "portfolios:write");
}
