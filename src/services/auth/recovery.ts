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
import { type AuthDeps, type ClientContext, EMAIL_TOKEN_SECONDS } from "./context";
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
export async function sendAccountLink(
  deps: AuthDeps,
  purpose: LinkPurpose,
  email: string,
  client: ClientContext,
) {
  const user = await findUserByEmail(deps.db, email);
  if (!user || !maySignIn(user, deps.now())) return;
  const token = generateOpaqueToken();
  const tokenHash = await hashToken(token);
  await createOneTimeToken(deps.db, {
    userId: user.id,
    purpose,
    tokenHash,
    expiresAt: new Date(deps.now().getTime() + EMAIL_TOKEN_SECONDS[purpose] * 1000),
  });
  await sendEmail(deps.db, deps.email, {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: purpose,
    ...renderEmail(purpose, { appUrl: deps.config.APP_URL, token }),
  });
  await recordSecurityEvent(deps, {
    type: purpose === "password_reset" ? "password_reset_requested" : "magic_link_requested",
    userId: user.id,
    tenantId: user.tenantId,
    client,
  });
}

/**
 * Spends a link's token. A reset link spends every other outstanding token of the account with it, in the
 * same statement: a second reset link or a magic link sent earlier is dead from this moment on.
 */
async function redeem(deps: AuthDeps, purpose: LinkPurpose, token: string) {
  const consume = purpose === "password_reset" ? consumeOneTimeTokenRevokingOthers : consumeOneTimeToken;
  const userId = await consume(deps.db, purpose, await hashToken(token), deps.now());
  const user = userId ? await findUserById(deps.db, userId) : undefined;
  if (user?.status !== "active") throw new AppError("invalid_token", "The link is invalid, used or expired.");
  return user;
}

/**
 * Sets a new password from a reset link and ends every session (ASVS 7.4). It signs nobody in, so the
 * next login still asks for the second factor: a reset never bypasses 2FA (ASVS 6.4.3).
 */
export async function resetPassword(
  deps: AuthDeps,
  token: string,
  newPassword: string,
  client: ClientContext,
) {
  const user = await redeem(deps, "password_reset", token);
  await replacePassword(deps, user, newPassword, "password_reset", client);
  await deps.accountGuard(lockoutKey(user, user.email)).unlock();
}

/** Signs in with a magic link: the link replaces the password, never the second factor. */
export async function redeemMagicLink(deps: AuthDeps, token: string, client: ClientContext) {
  const user = await redeem(deps, "magic_link", token);
  const status = await deps.accountGuard(lockoutKey(user, user.email)).status(deps.now().getTime());
  if (status.locked) {
    throw new AppError("account_locked", "Too many failed attempts: the account is locked for now.", {
      headers: { "Retry-After": String(Math.max(1, status.retryAfterSeconds)) },
    });
  }
  if (user.totpEnabledAt) return challengeSecondFactor(deps, user, client);
  return completeLogin(deps, user, client, "magic_link");
}
