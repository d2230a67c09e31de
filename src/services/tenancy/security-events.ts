import { listTenantSecurityEvents } from "../../db/repositories/security-events.repository";
import { pageOf, timeCursor } from "../pagination";
import type { TenantContext } from "./context";

export interface SecurityEventQuery {
  userId?: string | undefined;
  type?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * A page of the tenant's authentication and account-security events, newest first. Read inside the
 * tenant's transaction, so row-level security backs the explicit tenant filter. Events that named no
 * tenant (a failed sign-in with an unknown e-mail) belong to no tenant and are never shown here.
 */
export async function searchSecurityEvents(ctx: TenantContext, query: SecurityEventQuery) {
  const before = timeCursor(query.cursor);
  const rows = await ctx.readOne((db) =>
    listTenantSecurityEvents(db, {
      tenantId: ctx.tenantId,
      userId: query.userId,
      type: query.type,
      from: query.from,
      to: query.to,
      before,
      limit: query.limit + 1,
    }),
  );
  return pageOf(rows, query.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}
