import {
  findTenant,
  insertTenant,
  listAllTenants,
  lockTenant,
  type TenantRow,
  updateTenant as updateRow,
} from "../../db/repositories/tenants.repository";
import type { TenantQuotas } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

/** A quota change: a number sets the limit, null returns it to the platform default, absent keeps it. */
export type QuotaPatch = { [K in keyof TenantQuotas]?: number | null };

export interface TenantPatch {
  name?: string | undefined;
  status?: "active" | "suspended" | undefined;
  quotas?: QuotaPatch | undefined;
}

const notFound = () => new AppError("not_found", "No such tenant.");
const summaryOf = (row: TenantRow) => ({ name: row.name, status: row.status, quotas: row.quotas });

/** Platform operators act on any tenant; everyone else only on their own. */
const isOperator = (ctx: TenantContext) => ctx.access.holds("tenants:manage");

/**
 * The context to act on `id` in: a platform operator's is switched to that tenant (so its row-level
 * security and audit trail apply); anyone else may name only their own tenant, and any other id answers
 * 404 exactly like one that does not exist.
 */
function contextFor(ctx: TenantContext, id: string): TenantContext {
  if (isOperator(ctx)) return ctx.inTenant(id);
  if (id !== ctx.tenantId) throw notFound();
  return ctx;
}

/** Every tenant: the one cross-tenant read, on the platform handle (the route requires tenants:manage). */
export async function listTenants(
  ctx: TenantContext,
  options: { limit: number; cursor: string | undefined },
) {
  const rows = await listAllTenants(ctx.db, { before: timeCursor(options.cursor), limit: options.limit + 1 });
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/**
 * Creates a tenant. Its id is chosen here so the whole creation runs in a transaction already scoped to
 * it: row-level security admits the row, and the event opens the new tenant's own trail.
 */
export async function createTenant(
  ctx: TenantContext,
  input: { name: string; quotas: TenantQuotas },
): Promise<TenantRow> {
  if (!isOperator(ctx)) throw new AppError("forbidden", "Only platform operators create tenants.");
  const scoped = ctx.inTenant(crypto.randomUUID());
  return scoped.transaction(async (tx) => {
    const row = await insertTenant(tx, { id: scoped.tenantId, name: input.name, quotas: input.quotas });
    await recordAudit(tx, scoped, {
      action: "tenant.created",
      resourceType: "tenant",
      resourceId: row.id,
      after: summaryOf(row),
    });
    return row;
  });
}

export async function getTenant(ctx: TenantContext, id: string): Promise<TenantRow> {
  const scoped = contextFor(ctx, id);
  const row = await scoped.transaction((tx) => findTenant(tx, id));
  if (!row) throw notFound();
  return row;
}

/** Merges a quota change into the current quotas. */
function mergeQuotas(current: TenantQuotas, patch: QuotaPatch): TenantQuotas {
  const merged: TenantQuotas = { ...current };
  for (const [key, value] of Object.entries(patch) as [keyof TenantQuotas, number | null | undefined][]) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * Renames a tenant, suspends or reactivates it, or changes its quotas. Tenant admins may only rename
 * their own (404 for any other, 403 for the other fields); platform operators may change all of it on
 * any tenant but their own status - suspending it would lock them out with it.
 */
export async function updateTenant(ctx: TenantContext, id: string, patch: TenantPatch): Promise<TenantRow> {
  const scoped = contextFor(ctx, id);
  const operator = isOperator(ctx);
  if (!operator && (patch.status !== undefined || patch.quotas !== undefined)) {
    throw new AppError("forbidden", "Only platform operators change a tenant's status or quotas.");
  }
  if (operator && id === ctx.tenantId && patch.status === "suspended") {
    throw new AppError("conflict", "Suspending your own tenant would lock you out; another operator must.");
  }
  return scoped.transaction(async (tx) => {
    const before = await lockTenant(tx, id);
    if (!before) throw notFound();
    const fields: { name?: string; status?: "active" | "suspended"; quotas?: TenantQuotas } = {};
    if (patch.name !== undefined) fields.name = patch.name;
    if (patch.status !== undefined) fields.status = patch.status;
    if (patch.quotas !== undefined) fields.quotas = mergeQuotas(before.quotas, patch.quotas);
    const after = Object.keys(fields).length > 0 ? await updateRow(tx, id, fields) : before;
    if (!after) throw notFound();
    await recordAudit(tx, scoped, {
      action: "tenant.updated",
      resourceType: "tenant",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf(after),
    });
    return after;
  });
}
