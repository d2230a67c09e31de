/**
 * A second-factor code offered with a request, checked where it can be - a TOTP code against the secret the
 * request read - and claimed in the same batch as the change it allows: a step used meanwhile, or a backup
 * code spent or never issued, aborts that batch, and the request is answered as a failed attempt.
 */
import type { HttpDatabase } from "../../db/client";
import { backupCodeSpend, CODE_REFUSED, totpStepClaim } from "../../db/repositories/second-factor.repository";
import type { UserRow } from "../../db/repositories/users.repository";
import { requirementOf } from "../../db/requirements";
import type { AuthServices } from "./context";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { backupCodeCandidates, readTotpSecret } from "./stored-factors";
import { verifyTotp } from "./totp";

/** A claim of a code's use, for the caller's batch. */
export type CodeClaim = (db: HttpDatabase) => ReturnType<typeof totpStepClaim>;

export const isTotpCode = (code: string) => /^\d{6}$/.test(code.trim());
export const factorOf = (code: string) => (isTotpCode(code) ? "totp" : "backup_code");

/** Which codes a request takes: TOTP codes, backup codes, or either (told apart by their form). */
export type Accepted = "totp" | "backup_code" | "either";

/**
 * The claim of `code` as the kind `accepts` names, or null when it is wrong already by the secret the request
 * read.
 */
export async function codeClaim(
  ctx: AuthServices,
  user: UserRow,
  code: string,
  accepts: Accepted,
): Promise<CodeClaim | null> {
  const kind = accepts === "either" ? factorOf(code) : accepts;
  if (kind === "totp") {
    if (!user.totpSecret) return null;
    const result = verifyTotp({
      secret: (await readTotpSecret(await ctx.secretsAtRest(), user)) ?? "",
      code: code.trim(),
      now: ctx.now().getTime(),
      lastUsedStep: user.totpLastStep,
    });
    return result.valid ? (db) => totpStepClaim(db, user.id, result.step) : null;
  }
  const hashes = await backupCodeCandidates(await ctx.secretsAtRest(), user.id, code);
  if (hashes.length === 0) return null;
  const now = ctx.now();
  return (db) => backupCodeSpend(db, user.id, hashes, now);
}

/**
 * Runs `write` with the claim of `code` (none without a code) for its batch. A locked account is refused
 * first (423); a wrong code - found here or by the claim - counts towards the lockout and is recorded with
 * the path it came on.
 */
export async function withCode<T>(
  ctx: AuthServices,
  user: UserRow,
  offered: { code: string | undefined; accepts: Accepted; path: string },
  write: (claim: CodeClaim | undefined) => Promise<T>,
): Promise<T> {
  const { code, path } = offered;
  if (code === undefined) return write(undefined);
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  const factor = offered.accepts === "either" ? factorOf(code) : offered.accepts;
  const claim = await codeClaim(ctx, user, code, offered.accepts);
  if (!claim) return failAttempt(ctx, user.email, user, factor, { path });
  try {
    return await write(claim);
  } catch (error) {
    if (requirementOf(error) === CODE_REFUSED) return failAttempt(ctx, user.email, user, factor, { path });
    throw error;
  }
}
