import { and, eq } from "drizzle-orm";
import type { Transaction } from "../client";
import { organizations } from "../schema";

export type OrganizationRow = typeof organizations.$inferSelect;

/** The tenant's organization with this id, if any. */
export async function findOrganization(
  tx: Transaction,
  tenantId: string,
  id: string,
): Promise<OrganizationRow | undefined> {
  const [row] = await tx
    .select()
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id)))
    .limit(1);
  return row;
}
