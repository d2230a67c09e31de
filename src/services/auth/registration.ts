import { createOneTimeToken, rememberDevice } from "../../db/repositories/credentials.repository";
import { createTenantWithAdmin } from "../../db/repositories/users.repository";
import { isUniqueViolation, unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { deviceFingerprint } from "./devices";
import { recordSecurityEvent } from "./events";
import { checkPasswordPolicy, hashingOf, hashPassword } from "./passwords";
import { generateOpaqueToken, hashToken } from "./secrets";
import { startSession } from "./sessions";
import { releaseExpiredHolder } from "./unverified";

const EMAIL_KEY = ["users_email_key"];

const emailTaken = () => new AppError("email_taken", "An account with this e-mail already exists.");

/** Refuses a password that breaks the policy, as a 422 on the field that carries it. */
export function assertPasswordPolicy(password: string, email: string, pointer = "/password") {
  const problem = checkPasswordPolicy(password, { email });
  if (problem) {
    throw new AppError("validation_failed", problem.message, {
      errors: [{ location: "body", pointer, message: problem.message, code: problem.code }],
    });
  }
}

/** Sends a fresh e-mail verification link. */
export async function sendVerificationEmail(
  ctx: AuthServices,
  user: { id: string; tenantId: string; email: string },
) {
  const token = generateOpaqueToken();
  await createOneTimeToken(ctx.db, {
    userId: user.id,
    purpose: "verify_email",
    tokenHash: await hashToken(token),
    expiresAt: new Date(ctx.now().getTime() + EMAIL_TOKEN_SECONDS.verify_email * 1000),
  });
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: "verify_email",
    ...renderEmail("verify_email", { appUrl: ctx.config.APP_URL, token }),
  });
}

/**
 * Self-service registration: a new tenant with the registrant as its tenant_admin, a verification
 * e-mail, and a session on this device. A taken e-mail is 409 (registration may say so; login may not),
 * unless the account holding it never verified it within a day: that one is released and replaced.
 */
export async function register(
  ctx: AuthServices,
  input: { email: string; password: string; displayName: string | null; tenantName: string | null },
) {
  assertPasswordPolicy(input.password, input.email);
  const passwordHash = await hashPassword(input.password, hashingOf(ctx.config));
  const account = {
    tenantName: input.tenantName ?? `${input.email.split("@")[1] ?? "new"} workspace`,
    email: input.email,
    displayName: input.displayName,
    passwordHash,
    role: "tenant_admin" as const,
  };
  let created: Awaited<ReturnType<typeof createTenantWithAdmin>>;
  try {
    created = await createTenantWithAdmin(ctx.db, account);
  } catch (error) {
    if (!isUniqueViolation(error, EMAIL_KEY)) throw error;
    // Taken - unless only by an account that never verified it in time: that one is released, once.
    if (!(await releaseExpiredHolder(ctx, input.email, "registration"))) throw emailTaken();
    created = await unlessDuplicate(EMAIL_KEY, emailTaken, () => createTenantWithAdmin(ctx.db, account));
  }
  const { tenant, user } = created;
  await rememberDevice(ctx.db, user.id, await deviceFingerprint(ctx.client), ctx.now());
  await recordSecurityEvent(ctx, { type: "register", userId: user.id, tenantId: tenant.id });
  await sendVerificationEmail(ctx, user);
  const pair = await startSession(ctx, user);
  return { user, tenant, tokens: pair };
}
