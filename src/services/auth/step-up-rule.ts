import type { UserRow } from "../../db/repositories/users.repository";
import type { StepUpProof } from "../../durable-objects/session-authority";
import { AppError } from "../../errors";

/** How long a step-up counts, for the session that made it. */
export const STEP_UP_SECONDS = 5 * 60;

/** The signed-in caller as the step-up rule needs it. */
export interface StepUpCaller {
  userId: string;
  sessionId: string;
  stepUp?: StepUpProof | undefined;
}

/** The 403 that tells a client to re-authenticate first (POST /api/v1/auth/step-up), and with what. */
export const stepUpRequired = (twoFactor: boolean | undefined) => {
  const proof =
    twoFactor === undefined
      ? "your password ({password}), or a current two-factor code ({code}) when two-factor authentication is on"
      : twoFactor
        ? "a current two-factor code ({code})"
        : "your password ({password})";
  return new AppError(
    "step_up_required",
    `This operation needs a recent re-authentication: POST /api/v1/auth/step-up with ${proof}, then retry within 5 minutes.`,
  );
};

/**
 * Refuses (403 `step_up_required`) unless the calling session re-authenticated in the last few minutes.
 * The proof came with the token's revocation check, so this costs no round trip. With `user`, the proof
 * must also be of the strongest factor the user holds now (a password proof no longer counts once 2FA is
 * on); without it, enrolment clears other sessions' proofs, which keeps the same rule.
 */
export function requireStepUp(caller: StepUpCaller, now: Date, user?: Pick<UserRow, "totpEnabledAt">): void {
  const proof = caller.stepUp;
  const twoFactor = user ? user.totpEnabledAt !== null : undefined;
  if (!proof || proof.until <= now.getTime() / 1000) throw stepUpRequired(twoFactor);
  if (twoFactor && proof.factor === "password") throw stepUpRequired(true);
}
