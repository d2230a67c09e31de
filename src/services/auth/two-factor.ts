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
import type { AuthDeps, ClientContext } from "./context";
import { recordSecurityEvent } from "./events";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { generateBackupCodes } from "./secrets";
import { requireStepUp, type StepUpCaller } from "./step-up-rule";
import { backupCodeCandidates, backupCodeHash, readTotpSecret, sealTotpSecret } from "./stored-factors";
import { generateTotpSecret, totpKeyUri, totpQrSvg, verifyTotp } from "./totp";

const ISSUER = "FinEdge";

/** A TOTP code for this user's secret, accepted once (its step is claimed atomically). */
async function acceptTotp(deps: AuthDeps, user: UserRow, code: string): Promise<boolean> {
  if (!user.totpSecret) return false;
  const result = verifyTotp({
    secret: (await readTotpSecret(deps.secrets, user)) ?? "",
    code,
    now: deps.now().getTime(),
    lastUsedStep: user.totpLastStep,
  });
  return result.valid && (await claimTotpStep(deps.db, user.id, result.step));
}

/** A TOTP code or, failing that, an unused backup code. */
export async function acceptEitherFactor(deps: AuthDeps, user: UserRow, code: string): Promise<boolean> {
  if (/^\d{6}$/.test(code.trim())) return acceptTotp(deps, user, code.trim());
  return consumeBackupCode(
    deps.db,
    user.id,
    await backupCodeCandidates(deps.secrets, user.id, code),
    deps.now(),
  );
}

async function issueBackupCodes(deps: AuthDeps, userId: string): Promise<string[]> {
  const codes = generateBackupCodes(10);
  await replaceBackupCodes(
    deps.db,
    userId,
    await Promise.all(codes.map((c) => backupCodeHash(deps.secrets, userId, c))),
  );
  return codes;
}

async function notify(deps: AuthDeps, user: UserRow, template: "mfa_enabled" | "mfa_disabled") {
  await sendEmail(deps.db, deps.email, {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template,
    ...renderEmail(template, { at: deps.now() }),
  });
}

/**
 * A code offered to change 2FA: refused at once while the account is locked (423); a wrong one counts
 * towards the lockout and is recorded with the path it came on, like a wrong code at sign-in.
 */
async function checkCode(
  deps: AuthDeps,
  user: UserRow,
  client: ClientContext,
  path: string,
  accept: () => Promise<boolean>,
  factor: "totp" | "backup_code",
) {
  await refuseIfLocked(deps, lockoutKey(user, user.email));
  if (!(await accept())) await failAttempt(deps, user.email, user, client, factor, { path });
}

const factorOf = (code: string) => (/^\d{6}$/.test(code.trim()) ? "totp" : "backup_code");

/**
 * Starts enrolment: a new secret (not yet active), its otpauth:// URI and a QR code. Needs a fresh
 * step-up, so a stolen access token alone cannot enrol its holder's authenticator.
 */
export async function beginTotpEnrolment(deps: AuthDeps, caller: StepUpCaller, client: ClientContext) {
  const user = await currentUser(deps, caller.userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  requireStepUp(caller, deps.now(), user);
  const secret = generateTotpSecret();
  await setPendingTotpSecret(deps.db, user.id, await sealTotpSecret(deps.secrets, user.id, secret));
  await recordSecurityEvent(deps, {
    type: "mfa_enrolment_started",
    userId: user.id,
    tenantId: user.tenantId,
    client,
  });
  const uri = totpKeyUri({ secret, accountName: user.email, issuer: ISSUER });
  return { secret, otpauth_uri: uri, qr_svg: totpQrSvg(uri) };
}

/**
 * Confirms enrolment with a first code (fresh step-up required); returns 10 backup codes, shown once.
 * From then on a step-up must be made with the second factor: the other sessions' password step-ups are
 * forgotten, and this session's counts as a TOTP one, since it has just proven the new secret.
 */
export async function confirmTotpEnrolment(
  deps: AuthDeps,
  caller: StepUpCaller,
  code: string,
  client: ClientContext,
) {
  const user = await currentUser(deps, caller.userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  if (!user.totpSecret)
    throw new AppError("conflict", "Start enrolment first (POST /api/v1/auth/2fa/enable).");
  requireStepUp(caller, deps.now(), user);
  await checkCode(deps, user, client, "2fa/verify", () => acceptTotp(deps, user, code), "totp");
  await setTotpEnabled(deps.db, user.id, deps.now());
  await deps
    .sessionAuthority(user.id)
    .clearStepUps(caller.sessionId, caller.stepUp && { ...caller.stepUp, factor: "totp" });
  const codes = await issueBackupCodes(deps, user.id);
  await recordSecurityEvent(deps, { type: "mfa_enabled", userId: user.id, tenantId: user.tenantId, client });
  await notify(deps, user, "mfa_enabled");
  return codes;
}

/**
 * Turns 2FA off; needs a fresh step-up with the second factor. A code given as well (TOTP or backup) must
 * be valid: a wrong one counts towards the lockout.
 */
export async function disableTotp(
  deps: AuthDeps,
  caller: StepUpCaller,
  code: string | undefined,
  client: ClientContext,
) {
  const user = await currentUser(deps, caller.userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  requireStepUp(caller, deps.now(), user);
  if (code !== undefined)
    await checkCode(
      deps,
      user,
      client,
      "2fa/disable",
      () => acceptEitherFactor(deps, user, code),
      factorOf(code),
    );
  await setTotpEnabled(deps.db, user.id, null);
  await replaceBackupCodes(deps.db, user.id, []);
  await recordSecurityEvent(deps, { type: "mfa_disabled", userId: user.id, tenantId: user.tenantId, client });
  await notify(deps, user, "mfa_disabled");
}

/**
 * Replaces the backup codes; needs a fresh step-up with the second factor. A TOTP code given as well must
 * be valid: a wrong one counts towards the lockout.
 */
export async function regenerateBackupCodes(
  deps: AuthDeps,
  caller: StepUpCaller,
  code: string | undefined,
  client: ClientContext,
) {
  const user = await currentUser(deps, caller.userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  requireStepUp(caller, deps.now(), user);
  if (code !== undefined)
    await checkCode(deps, user, client, "2fa/backup-codes", () => acceptTotp(deps, user, code), "totp");
  const codes = await issueBackupCodes(deps, user.id);
  await recordSecurityEvent(deps, {
    type: "backup_codes_regenerated",
    userId: user.id,
    tenantId: user.tenantId,
    client,
  });
  return codes;
}
