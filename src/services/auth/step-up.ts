import type { StepUpFactor } from "../../durable-objects/session-authority";
import { AppError } from "../../errors";
import { currentUser } from "./account";
import type { AuthServices } from "./context";
import { recordSecurityEvent } from "./events";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashingOf, verifyPassword } from "./passwords";
import { STEP_UP_SECONDS } from "./step-up-rule";
import { acceptEitherFactor } from "./two-factor";

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
  await refuseIfLocked(ctx, lockoutKey(user, user.email));

  let factor: StepUpFactor;
  if ("code" in input) {
    factor = /^\d{6}$/.test(input.code.trim()) ? "totp" : "backup_code";
    if (!(await acceptEitherFactor(ctx, user, input.code)))
      return failAttempt(ctx, user.email, user, factor, { path: PATH });
    if (factor === "backup_code")
      await recordSecurityEvent(ctx, {
        type: "backup_code_used",
        userId: user.id,
        tenantId: user.tenantId,
        details: { path: PATH },
      });
  } else {
    const { valid } = await verifyPassword(input.password, user.passwordHash, hashingOf(ctx.config));
    if (!valid)
      return failAttempt(ctx, user.email, user, "password", {
        path: PATH,
        detail: "The password is wrong.",
      });
    factor = "password";
  }

  const until = Math.floor(ctx.now().getTime() / 1000) + STEP_UP_SECONDS;
  await ctx.sessionAuthority(user.id).stepUp(caller.sessionId, until, factor);
  await recordSecurityEvent(ctx, {
    type: "step_up",
    userId: user.id,
    tenantId: user.tenantId,
    details: { factor, sessionId: caller.sessionId },
  });
  return { expiresIn: STEP_UP_SECONDS, factor };
}
