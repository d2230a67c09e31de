import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  listTenantUsers,
  type TenantUser,
  type TenantUserFilter,
  tenantUserById,
} from "../../db/repositories/tenant-users.repository";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";

export type UserQuery = Omit<TenantUserFilter, "before" | "limit"> & {
  limit: number;
  cursor: string | undefined;
};

export const noSuchUser = () => new AppError("not_found", "No such user.");

/** A page of the tenant's users, newest first; another tenant's users are neither shown nor counted. */
export async function listUsers(ctx: TenantContext, query: UserQuery) {
  const { limit, cursor, ...filter } = query;
  const rows = await ctx.readOne((db) =>
    listTenantUsers(db, ctx.tenantId, { ...filter, before: timeCursor(cursor), limit: limit + 1 }),
  );
  return pageOf(rows, limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/** One of the tenant's users; any other id (another tenant's included) is 404. */
export async function getUser(ctx: TenantContext, id: string): Promise<TenantUser> {
  const [user] = await ctx.readOne((db) => tenantUserById(db, ctx.tenantId, id));
  if (!user) throw noSuchUser();
  return user;
}

/**
 * Clears the sign-in lockout of one of the tenant's users. The guard is keyed by user id, as sign-in keys
 * it. Two round trips: the user is read, the guard unlocked, then the audit event written (with the caller's
 * right re-checked in its batch) - so a failed unlock leaves no record of an unlock that did not happen.
 */
export async function unlockUser(
  ctx: TenantContext,
  request: Pick<AuthServices, "accountGuard">,
  id: string,
) {
  const [user] = await ctx.readOne((db) => tenantUserById(db, ctx.tenantId, id));
  if (!user) throw noSuchUser();
  const event = eventOf(ctx, {
    action: "user.unlocked",
    resourceType: "user",
    resourceId: user.id,
    after: { email: user.email },
  });
  await request.accountGuard(user.id).unlock();
  await ctx.write("users:manage", null, (db) => ({ audit: read(auditEventStatement(db, event)) }));
  ctx.audited += 1;
}
