import { read } from "../../db/batch";
import type { StepUpFactor } from "../../durable-objects/session-authority";
import { AppError } from "../../errors";
import { currentUser } from "./account";
import type { AuthServices } from "./context";
import { accountEvent, logSecurityEvent, recordSecurityEvent, securityEventInsert } from "./events";
import { factorOf, withCode } from "./factor-claims";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashingOf, verifyPassword } from "./passwords";
import { STEP_UP_SECONDS } from "./step-up-rule";

/** What a step-up offers: the password, or (once 2FA is on) a current TOTP or backup code. */
export type StepUpInput = { password: string } | { code: string };

const PATH = "step-up";

const wrongFactor = (pointer: string, message: string) =>
  new AppError("validation_failed", message, {
    errors: [{ location: "body", pointer, message, code: "wrong_factor" }],
  });

/**
 * Re-authenticates the calling session with the strongest factor the user holds: a current TOTP or backup
 * code when 2FA is on, otherwise the password. A failure counts towards the lockout and is recorded; a
 * locked account gets 423. The proof is kept by the user's session authority for this session only.
 */
export async function stepUp(
  ctx: AuthServices,
  caller: { userId: string; sessionId: string },
  input: StepUpInput,
): Promise<{ expiresIn: number; factor: StepUpFactor }> {
  const user = await currentUser(ctx, caller.userId);
  const twoFactor = user.totpEnabledAt !== null;
  if (twoFactor && !("code" in input))
    throw wrongFactor(
      "/code",
      "Two-factor authentication is on: step up with a current TOTP or backup code.",
    );
  if (!twoFactor && !("password" in input))
    throw wrongFactor("/password", "Two-factor authentication is off: step up with your password.");

  const until = Math.floor(ctx.now().getTime() / 1000) + STEP_UP_SECONDS;
  let factor: StepUpFactor;
  if ("code" in input) {
    factor = factorOf(input.code);
    // The code is claimed in one batch with its events; the session authority keeps the proof after it.
    const events = [
      ...(factor === "backup_code" ? [accountEvent(user, "backup_code_used", { path: PATH })] : []),
      accountEvent(user, "step_up", { factor, sessionId: caller.sessionId }),
    ];
    await withCode(ctx, user, { code: input.code, accepts: "either", path: PATH }, (claim) =>
      ctx.database.read("platform", (db) => ({
        ...(claim ? { claim: read(claim(db)) } : {}),
        ...Object.fromEntries(events.map((e, i) => [`event${i}`, read(securityEventInsert(db, ctx, e))])),
      })),
    );
    for (const event of events) logSecurityEvent(ctx, event);
    await ctx.sessionAuthority(user.id).stepUp(caller.sessionId, until, factor);
  } else {
    await refuseIfLocked(ctx, lockoutKey(user, user.email));
    const { valid } = await verifyPassword(input.password, user.passwordHash, hashingOf(ctx.config));
    if (!valid)
      return failAttempt(ctx, user.email, user, "password", {
        path: PATH,
        detail: "The password is wrong.",
      });
    factor = "password";
    await ctx.sessionAuthority(user.id).stepUp(caller.sessionId, until, factor);
    await recordSecurityEvent(ctx, {
      type: "step_up",
      userId: user.id,
      tenantId: user.tenantId,
      details: { factor, sessionId: caller.sessionId },
    });
  }
  return { expiresIn: STEP_UP_SECONDS, factor };
}
