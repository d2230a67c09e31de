import type { Transaction } from "../../db/client";
import { findPortfolio, lockPortfolio, type PortfolioRow } from "../../db/repositories/portfolios.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";

export const noSuchPortfolio = () => new AppError("not_found", "No such portfolio.");

/**
 * The portfolio, judged on its organization: one the caller cannot see answers 404 exactly like a missing
 * one; one it can see but may not change answers 403. `lock` takes the portfolio's row lock, which every
 * money-moving write holds until it commits.
 */
export async function portfolioFor(
  tx: Transaction,
  ctx: TenantContext,
  id: string,
  permission: "portfolios:read" | "portfolios:write",
  options: { lock?: boolean } = {},
): Promise<PortfolioRow> {
  const row = options.lock
    ? await lockPortfolio(tx, ctx.tenantId, id)
    : await findPortfolio(tx, ctx.tenantId, id);
  return visiblePortfolio(ctx, row, permission);
}

/** The portfolio a read found, judged as `portfolioFor` judges it. */
export function visiblePortfolio(
  ctx: TenantContext,
  row: PortfolioRow | undefined,
  permission: "portfolios:read" | "portfolios:write",
): PortfolioRow {
  if (!row || !ctx.access.canSee(row.organizationId)) throw noSuchPortfolio();
  ctx.access.requireIn(permission, row.organizationId);
  return row;
}

/** A field error for the request body, with the JSON Pointer of the offending field. */
export const bodyError = (code: "validation_failed" | "not_found", pointer: string, message: string) =>
  new AppError(code, message, { errors: [{ location: "body", pointer, message, code: "invalid" }] });
