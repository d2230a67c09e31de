/**
 * Compliance alerts: what rules, scenarios, screening and members' reports raise, for an analyst to review.
 * Other parts of the platform raise them with `alertInsert` (db/repositories/alerts.repository) inside their
 * own write; here they are read - one round trip each, the caller's standing in the same batch.
 */
import { type AlertRow, alertById, listAlerts as listRows } from "../../db/repositories/alerts.repository";
import type { AlertKind, AlertStatus } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";

export type Alert = AlertRow;

export const alertNotFound = () => new AppError("not_found", "No such alert.");

export async function listAlerts(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    status?: AlertStatus | undefined;
    kind?: AlertKind | undefined;
    customerId?: string | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listRows(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getAlert(ctx: TenantContext, id: string): Promise<Alert> {
  const [row] = await ctx.readOne((db) => alertById(db, ctx.tenantId, id));
  if (!row) throw alertNotFound();
  return row;
}
