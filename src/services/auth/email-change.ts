import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  confirmEmailChange,
  emailChangeToken,
  emailChangeTokenStatement,
} from "../../db/repositories/credentials.repository";
import { sessionsEndedStatement } from "../../db/repositories/sessions.repository";
import { userByEmail, userById } from "../../db/repositories/users.repository";
import { asRead } from "../../db/requirements";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { queuedNotice } from "../email/outbox";
import { stillActive } from "./account";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { accountAuditEvent, eventOrigin, logSecurityEvent, securityEventInsert } from "./events";
import { generateOpaqueToken, hashToken } from "./secrets";
import { type EndedSession, tellSessionsEnded } from "./sessions";
import { requireStepUp, type StepUpCaller } from "./step-up-rule";

const taken = () => new AppError("email_taken", "Another account uses this e-mail address.");

/**
 * Starts an address change (fresh step-up required): a single-use link to the new address, which alone
 * can confirm it, and a notice to the current one, so its owner learns of a change they did not ask for.
 * A newer request replaces an unconfirmed one. Nothing changes until the link is confirmed.
 */
export async function requestEmailChange(ctx: AuthServices, caller: StepUpCaller, newEmail: string) {
  // The account and whoever holds the new address, read together.
  const found = await ctx.database.read("platform", (db) => ({
    user: userById(db, caller.userId),
    holder: userByEmail(db, newEmail),
  }));
  const user = stillActive(ctx, found.user);
  requireStepUp(caller, ctx.now(), user);
  if (newEmail === user.email) throw new AppError("conflict", "This is already the account's address.");
  // Registration answers 409 for a taken address too; this is a signed-in, stepped-up caller.
  if (found.holder) throw taken();
  const token = generateOpaqueToken();
  const now = ctx.now();
  const link = await queuedNotice(ctx, { ...user, email: newEmail }, "change_email", {
    appUrl: ctx.config.APP_URL,
    token,
    expiresInMinutes: EMAIL_TOKEN_SECONDS.change_email / 60,
  });
  const notice = await queuedNotice(ctx, user, "email_change_requested", { at: now, newEmail });
  const event = {
    type: "email_change_requested" as const,
    userId: user.id,
    tenantId: user.tenantId,
    details: {},
  };
  const tokenHash = await hashToken(token);
  const expiresAt = new Date(now.getTime() + EMAIL_TOKEN_SECONDS.change_email * 1000);
  // The link (replacing an unconfirmed one), both e-mails and the event in one call; the e-mails go after.
  await ctx.database.read("platform", (db) => ({
    token: read(emailChangeTokenStatement(db, { userId: user.id, tokenHash, newEmail, expiresAt, now })),
    link: read(link.statement(db)),
    notice: read(notice.statement(db)),
    event: read(securityEventInsert(db, ctx, event)),
  }));
  logSecurityEvent(ctx, event);
  ctx.database.afterResponse(async () => {
    await link.deliver(ctx.database);
    await notice.deliver(ctx.database);
  });
}

/**
 * Confirms an address change with the link's token, signed in as the account that asked for it: the
 * address is replaced and marked verified, every other outstanding link of the account is spent (those
 * sent to the old address included), and every other session ends. 409 when the address was taken in
 * the meantime. The lockout is keyed by user id, so it carries over unchanged. Two round trips: the account
 * and the link read together, then one batch - the change, its audit event, the other sessions ended with
 * their security event - which holds only if the link is still good (else it is read again).
 */
export async function confirmEmailChangeRequest(
  ctx: AuthServices,
  caller: { userId: string; sessionId: string },
  token: string,
) {
  const tokenHash = await hashToken(token);
  return asRead("The account kept changing while this request was made; retry it.", async () => {
    const now = ctx.now();
    const link = { userId: caller.userId, tokenHash, now };
    const found = await ctx.database.read("platform", (db) => ({
      user: userById(db, caller.userId),
      link: read(emailChangeToken(db, link), (rows) => rows[0]),
    }));
    const user = stillActive(ctx, found.user);
    const newEmail = found.link?.newEmail;
    if (!newEmail) throw new AppError("invalid_token", "The link is invalid, used or expired.");
    // The address is tenant data an administrator sees: the change and its audit event commit together.
    const event = accountAuditEvent(user, ctx, {
      action: "user.email_changed",
      before: { email: user.email },
      after: { email: newEmail },
    });
    const { client } = ctx;
    const written = await unlessDuplicate(["users_email_key"], taken, () =>
      ctx.database.read("platform", (db) => ({
        changed: read(confirmEmailChange(db, link)),
        audit: read(auditEventStatement(db, event)),
        ended: read(
          sessionsEndedStatement(db, {
            tenantId: user.tenantId,
            userId: user.id,
            reason: "email_changed",
            now,
            exceptSessionId: caller.sessionId,
            event: {
              type: "email_changed",
              ...eventOrigin(client),
              details: {},
              countAs: "sessionsEnded",
            },
          }),
          (result) => (result as { rows: EndedSession[] }).rows,
        ),
      })),
    );
    logSecurityEvent(ctx, {
      type: "email_changed",
      userId: user.id,
      tenantId: user.tenantId,
      details: { sessionsEnded: written.ended.length },
    });
    // The edge refuses the ended sessions' tokens from the next request on.
    await tellSessionsEnded(ctx, user.id, written.ended, caller.sessionId);
    return { ...user, email: newEmail, emailVerifiedAt: now };
  });
}
