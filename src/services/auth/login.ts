import {
  consumeBackupCode,
  consumeOneTimeToken,
  createOneTimeToken,
  rememberDevice,
} from "../../db/repositories/credentials.repository";
import {
  claimTotpStep,
  findUserByEmail,
  findUserById,
  setPasswordHash,
  type UserRow,
} from "../../db/repositories/users.repository";
import { AppError } from "../../errors";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import type { AuthDeps, ClientContext } from "./context";
import { describeDevice, deviceFingerprint } from "./devices";
import { recordSecurityEvent } from "./events";
import { issueMfaToken, verifyMfaToken } from "./jwt";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashPassword, verifyPassword } from "./passwords";
import { hashToken } from "./secrets";
import { startSession, type TokenPair } from "./sessions";
import { backupCodeCandidates, readTotpSecret } from "./stored-factors";
import { verifyTotp } from "./totp";
import { maySignIn } from "./unverified";

/** A login either completes or asks for the second factor (a short-lived, single-use, typed token). */
export type LoginResult =
  | ({ mfa_required?: undefined } & TokenPair & { user: UserRow })
  | { mfa_required: true; mfa_token: string; methods: ["totp", "backup_code"]; expires_in: number };

const MFA_TOKEN_SECONDS = 300;

/** The last step of every sign-in: reset the failure count, notice a new device, open the session. */
export async function completeLogin(deps: AuthDeps, user: UserRow, client: ClientContext, method: string) {
  await deps.accountGuard(lockoutKey(user, user.email)).recordSuccess();
  const fingerprint = await deviceFingerprint(client);
  if (await rememberDevice(deps.db, user.id, fingerprint, deps.now())) {
    const device = describeDevice(client);
    await recordSecurityEvent(deps, {
      type: "new_device",
      userId: user.id,
      tenantId: user.tenantId,
      client,
      details: { device },
    });
    await sendEmail(deps.db, deps.email, {
      tenantId: user.tenantId,
      userId: user.id,
      to: user.email,
      template: "new_device",
      ...renderEmail("new_device", {
        userAgent: client.userAgent,
        ip: client.ip,
        country: client.country,
        city: client.city,
        at: deps.now(),
      }),
    });
  }
  const pair = await startSession(deps, user, client);
  await recordSecurityEvent(deps, {
    type: "login_success",
    userId: user.id,
    tenantId: user.tenantId,
    client,
    details: { method, sessionId: pair.session_id },
  });
  return { ...pair, user };
}

/** Issues the second-factor challenge; its id is stored hashed so the token works once. */
export async function challengeSecondFactor(
  deps: AuthDeps,
  user: UserRow,
  client: ClientContext,
): Promise<LoginResult> {
  const mfa = await issueMfaToken(
    deps.keys,
    { userId: user.id, tenantId: user.tenantId },
    {
      issuer: deps.config.JWT_ISSUER,
      audience: deps.config.JWT_AUDIENCE,
      now: deps.now(),
      ttlSeconds: MFA_TOKEN_SECONDS,
    },
  );
  await createOneTimeToken(deps.db, {
    userId: user.id,
    purpose: "mfa",
    tokenHash: await hashToken(mfa.jti),
    expiresAt: mfa.expiresAt,
  });
  await recordSecurityEvent(deps, {
    type: "mfa_challenge",
    userId: user.id,
    tenantId: user.tenantId,
    client,
  });
  return {
    mfa_required: true,
    mfa_token: mfa.token,
    methods: ["totp", "backup_code"],
    expires_in: MFA_TOKEN_SECONDS,
  };
}

/** Password sign-in (ASVS 6.3): lockout first, the same work and answer for unknown and known e-mails. */
export async function login(
  deps: AuthDeps,
  email: string,
  password: string,
  client: ClientContext,
): Promise<LoginResult> {
  const user = await findUserByEmail(deps.db, email);
  await refuseIfLocked(deps, lockoutKey(user, email));
  const { valid, needsRehash } = await verifyPassword(password, user?.passwordHash ?? null);
  if (!user || !valid || !maySignIn(user, deps.now()))
    return failAttempt(deps, email, user, client, "password", { path: "login" });
  if (needsRehash) await setPasswordHash(deps.db, user.id, await hashPassword(password), false);
  if (user.totpEnabledAt) return challengeSecondFactor(deps, user, client);
  return completeLogin(deps, user, client, "password");
}

/** The second factor: a TOTP code (never the same step twice) or a single-use backup code. */
export async function loginSecondFactor(
  deps: AuthDeps,
  mfaToken: string,
  factor: { totp: string } | { backupCode: string },
  client: ClientContext,
) {
  const claims = await verifyMfaToken(deps.keys, mfaToken, {
    issuer: deps.config.JWT_ISSUER,
    audience: deps.config.JWT_AUDIENCE,
    now: deps.now(),
  });
  const user = await findUserById(deps.db, claims.sub);
  if (user?.status !== "active" || !user.totpEnabledAt || !user.totpSecret) {
    throw new AppError("unauthorized", "The sign-in challenge is invalid or expired.");
  }
  await refuseIfLocked(deps, lockoutKey(user, user.email));
  const now = deps.now();
  let accepted = false;
  if ("totp" in factor) {
    const result = verifyTotp({
      secret: (await readTotpSecret(deps.secrets, user)) ?? "",
      code: factor.totp,
      now: now.getTime(),
      lastUsedStep: user.totpLastStep,
    });
    accepted = result.valid && (await claimTotpStep(deps.db, user.id, result.step));
  } else {
    accepted = await consumeBackupCode(
      deps.db,
      user.id,
      await backupCodeCandidates(deps.secrets, user.id, factor.backupCode),
      now,
    );
    if (accepted)
      await recordSecurityEvent(deps, {
        type: "backup_code_used",
        userId: user.id,
        tenantId: user.tenantId,
        client,
      });
  }
  if (!accepted)
    return failAttempt(deps, user.email, user, client, "totp" in factor ? "totp" : "backup_code", {
      path: "totp" in factor ? "login/2fa" : "2fa/backup-code",
    });
  if (!(await consumeOneTimeToken(deps.db, "mfa", await hashToken(claims.jti), now))) {
    throw new AppError("unauthorized", "The sign-in challenge is invalid or expired.");
  }
  return completeLogin(deps, user, client, "totp" in factor ? "totp" : "backup_code");
}
