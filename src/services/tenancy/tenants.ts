import { firstRow, read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  listAllTenants,
  type TenantRow,
  tenantChanged,
  tenantInserted,
  tenantRow,
} from "../../db/repositories/tenants.repository";
import type { TenantQuotas } from "../../db/schema";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";

/** A quota change: a number sets the limit, null returns it to the platform default, absent keeps it. */
export type QuotaPatch = { [K in keyof TenantQuotas]?: number | null };

export interface TenantPatch {
  name?: string | undefined;
  status?: "active" | "suspended" | undefined;
  quotas?: QuotaPatch | undefined;
}

const notFound = () => new AppError("not_found", "No such tenant.");

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

/**
 * Every tenant: the one cross-tenant read, on the platform scope (the route requires tenants:manage, held by
 * the standing read with the request), in one call.
 */
export async function listTenants(
  ctx: TenantContext,
  request: AuthServices,
  options: { limit: number; cursor: string | undefined },
) {
  if (!isOperator(ctx)) throw new AppError("forbidden", "Only platform operators list tenants.");
  const { rows } = await request.database.read("platform", (db) => ({
    rows: read(listAllTenants(db, { before: timeCursor(options.cursor), limit: options.limit + 1 })),
  }));
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/**
 * Creates a tenant in one round trip (after the caller's standing, read with the request). Its id is chosen
 * here so the batch runs already scoped to it: row-level security admits the row, and the event opens the new
 * tenant's own trail.
 */
export async function createTenant(
  ctx: TenantContext,
  input: { name: string; quotas: TenantQuotas },
): Promise<TenantRow> {
  if (!isOperator(ctx)) throw new AppError("forbidden", "Only platform operators create tenants.");
  const scoped = ctx.inTenant(crypto.randomUUID());
  const { row } = await scoped.read((db) => ({
    row: read(
      tenantInserted(db, { id: scoped.tenantId, name: input.name, quotas: input.quotas }),
      (rows) => rows[0],
    ),
    audit: read(
      auditEventStatement(
        db,
        eventOf(scoped, {
          action: "tenant.created",
          resourceType: "tenant",
          resourceId: scoped.tenantId,
          after: { name: input.name, status: "active", quotas: input.quotas },
        }),
      ),
    ),
  }));
  if (!row) throw new Error("tenant insert returned nothing");
  scoped.audited += 1;
  return row;
}

export async function getTenant(ctx: TenantContext, id: string): Promise<TenantRow> {
  const [row] = await contextFor(ctx, id).readOne((db) => tenantRow(db, id));
  if (!row) throw notFound();
  return row;
}

/** A quota change as the keys set and the keys returned to the platform default. */
function quotaChange(patch: QuotaPatch) {
  const set: Record<string, number> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch) as [keyof TenantQuotas, number | null | undefined][]) {
    if (value === null) remove.push(key);
    else if (value !== undefined) set[key] = value;
  }
  return { set, remove };
}

/**
 * Renames a tenant, suspends or reactivates it, or changes its quotas - one statement after the caller's
 * standing, which locks the row, merges the change and audits it with the row before and after. Tenant admins
 * may only rename their own (404 for any other, 403 for the other fields); platform operators may change all
 * of it on any tenant but their own status - suspending it would lock them out with it.
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
  const { summary: _, ...audit } = eventOf(scoped, {
    action: "tenant.updated",
    resourceType: "tenant",
    resourceId: id,
  });
  const { row } = await scoped.read((db) => ({
    row: read(
      tenantChanged(db, {
        id,
        name: patch.name,
        status: patch.status,
        quotas: patch.quotas && quotaChange(patch.quotas),
        audit,
      }),
      firstRow<TenantRow & { createdAt: string | Date; updatedAt: string | Date }>(),
    ),
  }));
  if (!row) throw notFound();
  scoped.audited += 1;
  return { ...row, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) };
}
