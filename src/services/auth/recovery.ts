import { read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { LINK_SPENT, linkHolder, linkSpend, linkStatement } from "../../db/repositories/links.repository";
import { userByEmail } from "../../db/repositories/users.repository";
import { meetingRequirements } from "../../db/requirements";
import { AppError } from "../../errors";
import { queuedNotice } from "../email/outbox";
import { replacePassword } from "./account";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { logSecurityEvent, securityEventInsert } from "./events";
import { lockoutKey } from "./lockout";
import { challengeSecondFactor, completeLogin, type LoginResult } from "./login";
import { generateOpaqueToken, hashToken } from "./secrets";
import { maySignIn } from "./unverified";

export type LinkPurpose = "password_reset" | "magic_link";

/**
 * Sends a single-use link if the address belongs to an account that may sign in. Callers run it after
 * answering (ASVS 6.3.8): the same 202, at the same moment, whether or not an account exists.
 */
export async function sendAccountLink(ctx: AuthServices, purpose: LinkPurpose, email: string) {
  const { user } = await ctx.database.read("platform", (db) => ({ user: userByEmail(db, email) }));
  if (!user || !maySignIn(user, ctx.now())) return;
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  const expiresAt = new Date(ctx.now().getTime() + EMAIL_TOKEN_SECONDS[purpose] * 1000);
  const message = await queuedNotice(ctx, user, purpose, { appUrl: ctx.config.APP_URL, token });
  const event = {
    type:
      purpose === "password_reset"
        ? ("password_reset_requested" as const)
        : ("magic_link_requested" as const),
    userId: user.id,
    tenantId: user.tenantId,
    details: {},
  };
  // The link, its e-mail and the event in one call, then the e-mail handed to the provider.
  await ctx.database.read("platform", (db) => ({
    link: read(linkStatement(db, { userId: user.id, purpose, tokenHash, expiresAt })),
    email: read(message.statement(db)),
    event: read(securityEventInsert(db, ctx, event)),
  }));
  logSecurityEvent(ctx, event);
  await message.deliver(ctx.database);
}

const invalidLink = () => new AppError("invalid_token", "The link is invalid, used or expired.");

/**
 * The active account a link names, read without spending the link, and the link's spending for the batch of
 * the change it allows (a link spent meanwhile refuses that change: 400).
 */
async function linked(ctx: AuthServices, purpose: LinkPurpose, token: string) {
  const tokenHash = await hashToken(token);
  const now = ctx.now();
  const { user } = await ctx.database.read("platform", (db) => ({
    user: linkHolder(db, purpose, tokenHash, now),
  }));
  if (user?.status !== "active") throw invalidLink();
  const spend = (db: HttpDatabase) => ({ link: read(linkSpend(db, purpose, tokenHash, now)) });
  return { user, spend };
}

/**
 * Sets a new password from a reset link and ends every session (ASVS 7.4), in two round trips: the link's
 * account read, then one batch - the link spent, the password replaced (every other outstanding link of the
 * account spent with it), the sessions ended with the event, the notice queued. It signs nobody in, so the
 * next login still asks for the second factor: a reset never bypasses 2FA (ASVS 6.4.3).
 */
export async function resetPassword(ctx: AuthServices, token: string, newPassword: string) {
  const { user, spend } = await linked(ctx, "password_reset", token);
  await meetingRequirements({ [LINK_SPENT]: invalidLink }, () =>
    replacePassword(ctx, user, newPassword, "password_reset", undefined, spend),
  );
  await ctx.accountGuard(lockoutKey(user, user.email)).unlock();
}

/**
 * Signs in with a magic link: the link replaces the password, never the second factor. Two round trips: the
 * link's account read, then the session's (or the challenge's) batch, which spends the link.
 */
export async function redeemMagicLink(ctx: AuthServices, token: string) {
  const { user, spend } = await linked(ctx, "magic_link", token);
  const status = await ctx.accountGuard(lockoutKey(user, user.email)).status(ctx.now().getTime());
  if (status.locked) {
    throw new AppError("account_locked", "Too many failed attempts: the account is locked for now.", {
      headers: { "Retry-After": String(Math.max(1, status.retryAfterSeconds)) },
    });
  }
  return meetingRequirements(
    { [LINK_SPENT]: invalidLink },
    (): Promise<LoginResult> =>
      user.totpEnabledAt
        ? challengeSecondFactor(ctx, user, spend)
        : completeLogin(ctx, user, "magic_link", spend),
  );
}
