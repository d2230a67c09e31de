import { read } from "../../db/batch";
import type { UserRow } from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import { queuedNotice } from "../email/outbox";
import type { AuthServices } from "./context";
import { logSecurityEvent, recordSecurityEvent, securityEventInsert } from "./events";

/**
 * The key of an account's lockout guard: the user id, so changing the e-mail address never resets a
 * lock or its count; an address no account has gets a guard of its own, keyed by the (lower-cased)
 * address, so unknown addresses are counted and locked exactly like known ones.
 */
export const lockoutKey = (user: Pick<UserRow, "id"> | undefined, email: string): string =>
  user?.id ?? email.toLowerCase();

/** The factor a failed attempt offered. */
export type FailedFactor = "password" | "totp" | "backup_code";

export const lockedError = (retryAfterSeconds: number) =>
  new AppError("account_locked", "Too many failed attempts: the account is locked for now.", {
    headers: { "Retry-After": String(Math.max(1, retryAfterSeconds)) },
  });

const policy = (ctx: AuthServices) => ({
  threshold: ctx.config.LOCKOUT_THRESHOLD,
  lockSeconds: ctx.config.LOCKOUT_SECONDS,
  windowSeconds: ctx.config.LOCKOUT_WINDOW_SECONDS,
});

/** 423 while the guard at `key` holds a lock. */
export async function refuseIfLocked(ctx: AuthServices, key: string): Promise<void> {
  const status = await ctx.accountGuard(key).status(ctx.now().getTime());
  if (status.locked) throw lockedError(status.retryAfterSeconds);
}

/**
 * Counts a failed password or second factor against the account (known or not), records it as a security
 * event (`login_failure` for a password, `mfa_failure` for a code, with the path it was offered on), locks
 * and alerts the owner on the failure that reaches the threshold, and answers 401 - or 423 once locked.
 */
export async function failAttempt(
  ctx: AuthServices,
  email: string,
  user: UserRow | undefined,
  factor: FailedFactor,
  context: { path: string; detail?: string },
): Promise<never> {
  const result = await ctx
    .accountGuard(lockoutKey(user, email))
    .recordFailure(ctx.now().getTime(), policy(ctx));
  await recordSecurityEvent(ctx, {
    type: factor === "password" ? "login_failure" : "mfa_failure",
    userId: user?.id,
    tenantId: user?.tenantId,
    details: { factor, path: context.path, failures: result.failures },
  });
  if (result.justLocked && user) {
    // The event and the owner's e-mail in one call; the e-mail is handed to the provider after the answer.
    const until = new Date(ctx.now().getTime() + result.retryAfterSeconds * 1000);
    const email = await queuedNotice(ctx, user, "account_locked", { until });
    const locked = {
      type: "account_locked" as const,
      userId: user.id,
      tenantId: user.tenantId,
      details: { path: context.path },
    };
    await ctx.database.read("platform", (db) => ({
      event: read(securityEventInsert(db, ctx, locked)),
      email: read(email.statement(db)),
    }));
    logSecurityEvent(ctx, locked);
    ctx.database.afterResponse(() => email.deliver(ctx.database));
  } else if (result.justLocked) {
    await recordSecurityEvent(ctx, {
      type: "account_locked",
      details: { path: context.path },
    });
  }
  if (result.locked) throw lockedError(result.retryAfterSeconds);
  throw new AppError(
    "invalid_credentials",
    context.detail ?? (factor === "password" ? "Invalid e-mail or password." : "The code is invalid."),
  );
}
