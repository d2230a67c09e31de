import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";

export const noSuchPortfolio = () => new AppError("not_found", "No such portfolio.");

/** The portfolio a read found, judged for the caller: 404 unless visible, 403 without `permission` in its organization. */
export function visiblePortfolio(
  ctx: TenantContext,
  row: PortfolioRow | undefined,
  permission: "portfolios:read" | "portfolios:write" | "fraud:review",
): PortfolioRow {
  if (!row || !ctx.access.canSee(row.organizationId)) throw noSuchPortfolio();
  ctx.access.requireIn(permission, row.organizationId);
  return row;
}

/** A field error for the request body, with the JSON Pointer of the offending field. */
export const bodyError = (code: "validation_failed" | "not_found", pointer: string, message: string) =>
  new AppError(code, message, { errors: [{ location: "body", pointer, message, code: "invalid" }] });
