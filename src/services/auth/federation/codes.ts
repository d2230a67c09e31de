/**
 * A mobile app redeems its one-time code with the PKCE verifier its challenge was made from (RFC 7636) for the
 * same answer password sign-in gives: a token pair, or the second-factor challenge. Two round trips: the
 * code spent (only by the right verifier, once, unexpired) with its account read in the same batch, then the
 * sign-in's write.
 */
import * as oauth from "oauth4webapi";
import { codeOwner, codeRedeem } from "../../../db/repositories/federation.repository";
import { AppError } from "../../../errors";
import type { AuthServices } from "../context";
import { lockoutKey, refuseIfLocked } from "../lockout";
import { challengeSecondFactor, completeLogin, type LoginResult } from "../login";
import { hashToken } from "../secrets";
import { maySignIn } from "../unverified";

const refused = () =>
  new AppError(
    "federation_failed",
    "The code is invalid, spent or expired, or the verifier does not match it.",
  );

/** Exchanges a one-time code and its verifier for a sign-in. */
export async function redeemAppCode(ctx: AuthServices, code: string, verifier: string): Promise<LoginResult> {
  const codeHash = await hashToken(code);
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const { redeemed, user } = await ctx.database.read("platform", (db) => ({
    redeemed: codeRedeem(db, { codeHash, challenge, now: ctx.now() }),
    user: codeOwner(db, codeHash),
  }));
  if (!redeemed || !user || !maySignIn(user, ctx.now())) throw refused();
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  if (user.totpEnabledAt) return challengeSecondFactor(ctx, user);
  return completeLogin(ctx, user, `federated:${redeemed.provider}`);
}
