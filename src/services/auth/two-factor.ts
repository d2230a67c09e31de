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
import { generateBackupCodes } from "./secrets";
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
async function acceptEitherFactor(deps: AuthDeps, user: UserRow, code: string): Promise<boolean> {
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

/** Starts enrolment: a new secret (not yet active), its otpauth:// URI and a QR code. */
export async function beginTotpEnrolment(deps: AuthDeps, userId: string) {
  const user = await currentUser(deps, userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  const secret = generateTotpSecret();
  await setPendingTotpSecret(deps.db, user.id, await sealTotpSecret(deps.secrets, user.id, secret));
  const uri = totpKeyUri({ secret, accountName: user.email, issuer: ISSUER });
  return { secret, otpauth_uri: uri, qr_svg: totpQrSvg(uri) };
}

/** Confirms enrolment with a first code; returns 10 backup codes, shown once. */
export async function confirmTotpEnrolment(
  deps: AuthDeps,
  userId: string,
  code: string,
  client: ClientContext,
) {
  const user = await currentUser(deps, userId);
  if (user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is already on.");
  if (!user.totpSecret)
    throw new AppError("conflict", "Start enrolment first (POST /api/v1/auth/2fa/enable).");
  if (!(await acceptTotp(deps, user, code)))
    throw new AppError("invalid_credentials", "The code is invalid.");
  await setTotpEnabled(deps.db, user.id, deps.now());
  const codes = await issueBackupCodes(deps, user.id);
  await recordSecurityEvent(deps, { type: "mfa_enabled", userId: user.id, tenantId: user.tenantId, client });
  await notify(deps, user, "mfa_enabled");
  return codes;
}

/** Turns 2FA off; needs a current code (TOTP or backup). */
export async function disableTotp(deps: AuthDeps, userId: string, code: string, client: ClientContext) {
  const user = await currentUser(deps, userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  if (!(await acceptEitherFactor(deps, user, code)))
    throw new AppError("invalid_credentials", "The code is invalid.");
  await setTotpEnabled(deps.db, user.id, null);
  await replaceBackupCodes(deps.db, user.id, []);
  await recordSecurityEvent(deps, { type: "mfa_disabled", userId: user.id, tenantId: user.tenantId, client });
  await notify(deps, user, "mfa_disabled");
}

/** Replaces the backup codes; needs a current TOTP code. */
export async function regenerateBackupCodes(
  deps: AuthDeps,
  userId: string,
  code: string,
  client: ClientContext,
) {
  const user = await currentUser(deps, userId);
  if (!user.totpEnabledAt) throw new AppError("conflict", "Two-factor authentication is off.");
  if (!(await acceptTotp(deps, user, code)))
    throw new AppError("invalid_credentials", "The code is invalid.");
  const codes = await issueBackupCodes(deps, user.id);
  await recordSecurityEvent(deps, {
    type: "backup_codes_regenerated",
    userId: user.id,
    tenantId: user.tenantId,
    client,
  });
  return codes;
}
