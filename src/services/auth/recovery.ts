import {
  consumeOneTimeToken,
  consumeOneTimeTokenRevokingOthers,
  createOneTimeToken,
} from "../../db/repositories/credentials.repository";
import { findUserByEmail, findUserById } from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { replacePassword } from "./account";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { recordSecurityEvent } from "./events";
import { lockoutKey } from "./lockout";
import { challengeSecondFactor, completeLogin } from "./login";
import { generateOpaqueToken, hashToken } from "./secrets";
import { maySignIn } from "./unverified";

export type LinkPurpose = "password_reset" | "magic_link";

/**
 * Sends a single-use link if the address belongs to an account that may sign in. Callers run it after
 * answering (ASVS 6.3.8): the same 202, at the same moment, whether or not an account exists.
 */
export async function sendAccountLink(ctx: AuthServices, purpose: LinkPurpose, email: string) {
  const user = await findUserByEmail(ctx.db, email);
  if (!user || !maySignIn(user, ctx.now())) return;
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  await createOneTimeToken(ctx.db, {
    userId: user.id,
    purpose,
    tokenHash,
    expiresAt: new Date(ctx.now().getTime() + EMAIL_TOKEN_SECONDS[purpose] * 1000),
  });
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: purpose,
    ...renderEmail(purpose, { appUrl: ctx.config.APP_URL, token }),
  });
  await recordSecurityEvent(ctx, {
    type: purpose === "password_reset" ? "password_reset_requested" : "magic_link_requested",
    userId: user.id,
    tenantId: user.tenantId,
  });
}

/**
 * Spends a link's token. A reset link spends every other outstanding token of the account with it, in the
 * same statement: a second reset link or a magic link sent earlier is dead from this moment on.
 */
async function redeem(ctx: AuthServices, purpose: LinkPurpose, token: string) {
  const consume = purpose === "password_reset" ? consumeOneTimeTokenRevokingOthers : consumeOneTimeToken;
  const userId = await consume(ctx.db, purpose, await hashToken(token), ctx.now());
  const user = userId ? await findUserById(ctx.db, userId) : undefined;
  if (user?.status !== "active") throw new AppError("invalid_token", "The link is invalid, used or expired.");
  return user;
}

/**
 * Sets a new password from a reset link and ends every session (ASVS 7.4). It signs nobody in, so the
 * next login still asks for the second factor: a reset never bypasses 2FA (ASVS 6.4.3).
 */
export async function resetPassword(ctx: AuthServices, token: string, newPassword: string) {
  const user = await redeem(ctx, "password_reset", token);
  await replacePassword(ctx, user, newPassword, "password_reset");
  await ctx.accountGuard(lockoutKey(user, user.email)).unlock();
}

/** Signs in with a magic link: the link replaces the password, never the second factor. */
export async function redeemMagicLink(ctx: AuthServices, token: string) {
  const user = await redeem(ctx, "magic_link", token);
  const status = await ctx.accountGuard(lockoutKey(user, user.email)).status(ctx.now().getTime());
  if (status.locked) {
    throw new AppError("account_locked", "Too many failed attempts: the account is locked for now.", {
      headers: { "Retry-After": String(Math.max(1, status.retryAfterSeconds)) },
    });
  }
  if (user.totpEnabledAt) return challengeSecondFactor(ctx, user);
  return completeLogin(ctx, user, "magic_link");
}
