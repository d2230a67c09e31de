import {
  findTenantUser,
  listTenantUsers,
  type TenantUser,
  type TenantUserFilter,
  tenantUserById,
} from "../../db/repositories/tenant-users.repository";
import { AppError } from "../../errors";
import type { AuthServices } from "../auth/context";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "./audit";
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
 * it; the audit event is written first and the unlock is the transaction's last step, so a failed unlock
 * leaves no record of an unlock that did not happen.
 */
export async function unlockUser(
  ctx: TenantContext,
  request: Pick<AuthServices, "accountGuard">,
  id: string,
) {
  await ctx.transaction(async (tx) => {
    const user = await findTenantUser(tx, ctx.tenantId, id);
    if (!user) throw noSuchUser();
    await recordAudit(tx, ctx, {
      action: "user.unlocked",
      resourceType: "user",
      resourceId: user.id,
      after: { email: user.email },
    });
    await request.accountGuard(user.id).unlock();
  });
}
