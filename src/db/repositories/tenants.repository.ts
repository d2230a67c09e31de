import { eq } from "drizzle-orm";
import type { Database, Transaction } from "../client";
import { type TenantQuotas, tenants } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type TenantRow = typeof tenants.$inferSelect;

const page = keyset(tenants.createdAt, tenants.id);

/**
 * Every tenant, newest first, keyed by (created_at, id). The one cross-tenant read: it takes the platform
 * handle, and only platform operators (`tenants:manage`) reach it.
 */
export async function listAllTenants(
  db: Database,
  options: { before?: TimePosition | undefined; limit: number },
): Promise<TenantRow[]> {
  return db
    .select()
    .from(tenants)
    .where(page.before(options.before))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** The tenant, locked for an update until the transaction ends (so merged quotas never lose a write). */
export async function lockTenant(tx: Transaction, id: string): Promise<TenantRow | undefined> {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, id)).limit(1).for("no key update");
  return row;
}

export async function findTenant(tx: Transaction, id: string): Promise<TenantRow | undefined> {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return row;
}

/** Inserts a tenant with a chosen id: the transaction is already scoped to it, so RLS admits the row. */
export async function insertTenant(
  tx: Transaction,
  values: { id: string; name: string; quotas: TenantQuotas },
): Promise<TenantRow> {
  const [row] = await tx.insert(tenants).values(values).returning();
  if (!row) throw new Error("tenant insert returned nothing");
  return row;
}

export async function updateTenant(
  tx: Transaction,
  id: string,
  fields: { name?: string; status?: "active" | "suspended"; quotas?: TenantQuotas },
): Promise<TenantRow | undefined> {
  const [row] = await tx.update(tenants).set(fields).where(eq(tenants.id, id)).returning();
  return row;
}
