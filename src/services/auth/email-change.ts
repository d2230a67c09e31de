import { confirmEmailChange, createEmailChangeToken } from "../../db/repositories/credentials.repository";
import { findUserByEmail } from "../../db/repositories/users.repository";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { currentUser } from "./account";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { recordAccountAudit, recordSecurityEvent } from "./events";
import { generateOpaqueToken, hashToken } from "./secrets";
import { endAllSessions } from "./sessions";
import { requireStepUp, type StepUpCaller } from "./step-up-rule";

const taken = () => new AppError("email_taken", "Another account uses this e-mail address.");

/**
 * Starts an address change (fresh step-up required): a single-use link to the new address, which alone
 * can confirm it, and a notice to the current one, so its owner learns of a change they did not ask for.
 * A newer request replaces an unconfirmed one. Nothing changes until the link is confirmed.
 */
export async function requestEmailChange(ctx: AuthServices, caller: StepUpCaller, newEmail: string) {
  const user = await currentUser(ctx, caller.userId);
  requireStepUp(caller, ctx.now(), user);
  if (newEmail === user.email) throw new AppError("conflict", "This is already the account's address.");
  // Registration answers 409 for a taken address too; this is a signed-in, stepped-up caller.
  if (await findUserByEmail(ctx.db, newEmail)) throw taken();
  const token = generateOpaqueToken();
  const now = ctx.now();
  await createEmailChangeToken(ctx.db, {
    userId: user.id,
    tokenHash: await hashToken(token),
    newEmail,
    expiresAt: new Date(now.getTime() + EMAIL_TOKEN_SECONDS.change_email * 1000),
    now,
  });
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: newEmail,
    template: "change_email",
    ...renderEmail("change_email", {
      appUrl: ctx.config.APP_URL,
      token,
      expiresInMinutes: EMAIL_TOKEN_SECONDS.change_email / 60,
    }),
  });
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: "email_change_requested",
    ...renderEmail("email_change_requested", { at: now, newEmail }),
  });
  await recordSecurityEvent(ctx, {
    type: "email_change_requested",
    userId: user.id,
    tenantId: user.tenantId,
  });
}

/**
 * Confirms an address change with the link's token, signed in as the account that asked for it: the
 * address is replaced and marked verified, every other outstanding link of the account is spent (those
 * sent to the old address included), and every other session ends. 409 when the address was taken in
 * the meantime. The lockout is keyed by user id, so it carries over unchanged.
 */
export async function confirmEmailChangeRequest(
  ctx: AuthServices,
  caller: { userId: string; sessionId: string },
  token: string,
) {
  const user = await currentUser(ctx, caller.userId);
  const tokenHash = await hashToken(token);
  // The address is tenant data an administrator sees: the change and its audit event commit together.
  const changed = await unlessDuplicate(["users_email_key"], taken, () =>
    ctx.db.transaction(async (tx) => {
      const replaced = await confirmEmailChange(tx, { userId: user.id, tokenHash, now: ctx.now() });
      if (replaced) {
        await recordAccountAudit(tx, user, ctx, {
          action: "user.email_changed",
          before: { email: user.email },
          after: { email: replaced.email },
        });
      }
      return replaced;
    }),
  );
  if (!changed) throw new AppError("invalid_token", "The link is invalid, used or expired.");
  const ended = await endAllSessions(ctx, user.id, "email_changed", caller.sessionId);
  await recordSecurityEvent(ctx, {
    type: "email_changed",
    userId: user.id,
    tenantId: user.tenantId,
    details: { sessionsEnded: ended },
  });
  return { ...user, email: changed.email, emailVerifiedAt: ctx.now() };
}
