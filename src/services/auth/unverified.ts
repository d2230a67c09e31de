import { addressRelease, type UserRow } from "../../db/repositories/users.repository";
import { log } from "../../logger";
import type { AuthServices } from "./context";

/**
 * An account whose address was never verified lasts this long. Registration proves nothing about the
 * address, so an unverified account must not hold it for ever: after this it cannot sign in, and whoever
 * proves the address - or simply registers it again - takes it over.
 */
export const UNVERIFIED_ACCOUNT_SECONDS = 24 * 3600;

/** Whether the account never verified its address and is past its time for doing so. */
export const isExpiredUnverified = (user: Pick<UserRow, "emailVerifiedAt" | "createdAt">, now: Date) =>
  user.emailVerifiedAt === null &&
  user.createdAt.getTime() + UNVERIFIED_ACCOUNT_SECONDS * 1000 <= now.getTime();

/** Whether the account may sign in or act: active, and not an unverified account past its time. */
export const maySignIn = (user: Pick<UserRow, "status" | "emailVerifiedAt" | "createdAt">, now: Date) =>
  user.status === "active" && !isExpiredUnverified(user, now);

/** Who is claiming an address: a registration, or an invitation being created or accepted. */
export type AddressClaim = "registration" | "invitation_created" | "invitation_accepted";

/**
 * Releases `email` if it is held only by an expired unverified account (see `addressRelease`:
 * the account becomes a tombstone, and the release is in its tenant's audit trail and security events),
 * and ends that account's tokens at once. True when an account was released. A verified or still-young
 * account is left alone: the caller's own conflict rules then apply.
 */
export async function releaseExpiredHolder(
  ctx: AuthServices,
  email: string,
  claimedBy: AddressClaim,
): Promise<boolean> {
  const now = ctx.now();
  const { released } = await ctx.database.read("platform", (db) => ({
    released: addressRelease(db, {
      email,
      createdBefore: new Date(now.getTime() - UNVERIFIED_ACCOUNT_SECONDS * 1000),
      now,
      claimedBy,
      requestId: ctx.requestId,
      ip: ctx.client.ip,
      userAgent: ctx.client.userAgent?.slice(0, 512) ?? null,
    }),
  }));
  if (!released) return false;
  // Its sessions are revoked in the database; the authority refuses their access tokens from now on too.
  await ctx.sessionAuthority(released.id).revokeAll(Math.floor(now.getTime() / 1000));
  log(ctx.config.LOG_LEVEL, "info", {
    msg: "security event",
    event: "account_expired",
    requestId: ctx.requestId,
    userId: released.id,
    tenantId: released.tenantId,
    claimedBy,
    sessions: released.sessions,
    tenantSuspended: released.tenantSuspended,
  });
  return true;
}
