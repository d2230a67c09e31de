import { consumeBackupCode, replaceBackupCodes } from "../../db/repositories/credentials.repository";
import {
  claimTotpStep,
  setPendingTotpSecret,
  setTotpEnabled,
  type UserRow,
} from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { currentUser } from "./account";
import type { AuthServices } from "./context";
import { recordSecurityEvent } from "./events";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { generateBackupCodes } from "./secrets";
import { requireStepUp, type StepUpCaller } from "./step-up-rule";
import { backupCodeCandidates, backupCodeHash, readTotpSecret, sealTotpSecret } from "./stored-factors";
import { generateTotpSecret, totpKeyUri, totpQrSvg, verifyTotp } from "./totp";

const ISSUER = "FinEdge";

/** A TOTP code for this user's secret, accepted once (its step is claimed atomically). */
async function acceptTotp(ctx: AuthServices, user: UserRow, code: string): Promise<boolean> {
  if (!user.totpSecret) return false;
  const result = verifyTotp({
    secret: (await readTotpSecret(await ctx.secretsAtRest(), user)) ?? "",
    code,
    now: ctx.now().getTime(),
    lastUsedStep: user.totpLastStep,
  });
  return result.valid && (await claimTotpStep(ctx.db, user.id, result.step));
}

/** A TOTP code or, failing that, an unused backup code. */
export async function acceptEitherFactor(ctx: AuthServices, user: UserRow, code: string): Promise<boolean> {
  if (/^\d{6}$/.test(code.trim())) return acceptTotp(ctx, user, code.trim());
  return consumeBackupCode(
    ctx.db,
    user.id,
    await backupCodeCandidates(await ctx.secretsAtRest(), user.id, code),
    ctx.now(),
  );
}

async function issueBackupCodes(ctx: AuthServices, userId: string): Promise<string[]> {
  const codes = generateBackupCodes(10);
  const secrets = await ctx.secretsAtRest();
  await replaceBackupCodes(
    ctx.db,
    userId,
    await Promise.all(codes.map((c) => backupCodeHash(secrets, userId, c))),
  );
  return codes;
}

async function notify(ctx: AuthServices, user: UserRow, template: "mfa_enabled" | "mfa_disabled") {
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template,
    ...renderEmail(template, { at: ctx.now() }),
  });
}

/**
 * A code offered to change 2FA: refused at once while the account is locked (423); a wrong one counts
 * towards the lockout and is recorded with the path it came on, like a wrong code at sign-in.
 */
async function checkCode(
  ctx: AuthServices,
  user: UserRow,
  path: string,
  accept: () => Promise<boolean>,
  factor: "totp" | "backup_code",
) {
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  if (!(await accept())) await failAttempt(ctx, user.email, user, factor, { path });
}

const factorOf = (code: string) => (/^\d{6}$/.test(code.trim()) ? "totp" : "backup_code");

/** A started enrolment: the new secret, its otpauth:// URI and that URI as an SVG QR code. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/**
 * Starts enrolment: a new secret (not yet active), its otpauth:// URI and a QR code. Needs a fresh
 * step-up, so a stolen access token alone cannot enrol its holder's authenticator.
 */
export async function beginTotpEnrolment(ctx: AuthServices, caller: StepUpCaller): Promise<TotpEnrolment> {
  const user = await currentUser(ctx, caller.userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  requireStepUp(caller, ctx.now(), user);
  const secret = generateTotpSecret();
  await setPendingTotpSecret(
    ctx.db,
    user.id,
    await sealTotpSecret(await ctx.secretsAtRest(), user.id, secret),
  );
  await recordSecurityEvent(ctx, { type: "mfa_enrolment_started", userId: user.id, tenantId: user.tenantId });
  const uri = totpKeyUri({ secret, accountName: user.email, issuer: ISSUER });
  return { secret, otpauthUri: uri, qrSvg: totpQrSvg(uri) };
}

/**
 * Confirms enrolment with a first code (fresh step-up required); returns 10 backup codes, shown once.
 * From then on a step-up must be made with the second factor: the other sessions' password step-ups are
 * forgotten, and this session's counts as a TOTP one, since it has just proven the new secret.
 */
export async function confirmTotpEnrolment(ctx: AuthServices, caller: StepUpCaller, code: string) {
  const user = await currentUser(ctx, caller.userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  if (!user.totpSecret)
    throw new AppError("conflict", "Start enrolment first (POST /api/v1/auth/2fa/enable).");
  requireStepUp(caller, ctx.now(), user);
  await checkCode(ctx, user, "2fa/verify", () => acceptTotp(ctx, user, code), "totp");
  await setTotpEnabled(ctx.db, user.id, ctx.now());
  await ctx
    .sessionAuthority(user.id)
    .clearStepUps(caller.sessionId, caller.stepUp && { ...caller.stepUp, factor: "totp" });
  const codes = await issueBackupCodes(ctx, user.id);
  await recordSecurityEvent(ctx, { type: "mfa_enabled", userId: user.id, tenantId: user.tenantId });
  await notify(ctx, user, "mfa_enabled");
  return codes;
}

/**
 * Turns 2FA off; needs a fresh step-up with the second factor. A code given as well (TOTP or backup) must
 * be valid: a wrong one counts towards the lockout.
 */
export async function disableTotp(ctx: AuthServices, caller: StepUpCaller, code: string | undefined) {
  const user = await currentUser(ctx, caller.userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  requireStepUp(caller, ctx.now(), user);
  if (code !== undefined)
    await checkCode(ctx, user, "2fa/disable", () => acceptEitherFactor(ctx, user, code), factorOf(code));
  await setTotpEnabled(ctx.db, user.id, null);
  await replaceBackupCodes(ctx.db, user.id, []);
  await recordSecurityEvent(ctx, { type: "mfa_disabled", userId: user.id, tenantId: user.tenantId });
  await notify(ctx, user, "mfa_disabled");
}

/**
 * Replaces the backup codes; needs a fresh step-up with the second factor. A TOTP code given as well must
 * be valid: a wrong one counts towards the lockout.
 */
export async function regenerateBackupCodes(
  ctx: AuthServices,
  caller: StepUpCaller,
  code: string | undefined,
) {
  const user = await currentUser(ctx, caller.userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  requireStepUp(caller, ctx.now(), user);
  if (code !== undefined)
    await checkCode(ctx, user, "2fa/backup-codes", () => acceptTotp(ctx, user, code), "totp");
  const codes = await issueBackupCodes(ctx, user.id);
  await recordSecurityEvent(ctx, {
    type: "backup_codes_regenerated",
    userId: user.id,
    tenantId: user.tenantId,
  });
  return codes;
}
