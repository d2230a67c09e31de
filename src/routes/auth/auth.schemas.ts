import { z } from "@hono/zod-openapi";
import type { TenantRow, UserRow } from "../../db/repositories/users.repository";

/** E-mail addresses are compared and stored lower-cased. */
export const Email = z
  .email()
  .max(254)
  .transform((value) => value.toLowerCase())
  .openapi({ example: "ada@example.com" });

/** Password policy (length, common passwords) is enforced by the service, so its message is specific. */
export const Password = z
  .string()
  .min(1)
  .max(1024)
  .openapi({ format: "password", example: "correct horse battery staple" });

export const UserSchema = z
  .object({
    id: z.uuid(),
    tenant_id: z.uuid(),
    email: z.string(),
    email_verified: z.boolean(),
    display_name: z.string().nullable(),
    role: z.string(),
    two_factor_enabled: z.boolean(),
    created_at: z.iso.datetime(),
  })
  .openapi("User");

export const TenantSchema = z
  .object({ id: z.uuid(), name: z.string(), created_at: z.iso.datetime() })
  .openapi("Tenant");

export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    session_id: z.uuid(),
  })
  .openapi("TokenPair");

export const LoginSuccessSchema = TokenPairSchema.extend({ user: UserSchema }).openapi("LoginSuccess");

export const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string(),
    methods: z.array(z.enum(["totp", "backup_code"])),
    expires_in: z.number().int(),
  })
  .openapi("MfaChallenge");

export const LoginResponseSchema = z.union([LoginSuccessSchema, MfaChallengeSchema]).openapi("LoginResponse");

export const TotpCode = z
  .string()
  .regex(/^\d{6}$/, "a 6-digit code")
  .openapi({ example: "123456" });

/** The public view of a user: never the password hash or the TOTP secret. */
export const toUserView = (user: UserRow) => ({
  id: user.id,
  tenant_id: user.tenantId,
  email: user.email,
  email_verified: user.emailVerifiedAt !== null,
  display_name: user.displayName,
  role: user.role,
  two_factor_enabled: user.totpEnabledAt !== null,
  created_at: user.createdAt.toISOString(),
});

export const toTenantView = (tenant: TenantRow) => ({
  id: tenant.id,
  name: tenant.name,
  created_at: tenant.createdAt.toISOString(),
});

/** A login result for the wire: a token pair with the user, or the second-factor challenge. */
export function toLoginView(
  result:
    | { mfa_required: true; mfa_token: string; methods: ["totp", "backup_code"]; expires_in: number }
    | ({
        mfa_required?: undefined;
        user: UserRow;
      } & z.infer<typeof TokenPairSchema>),
) {
  if (result.mfa_required) return result;
  const { user, ...pair } = result;
  return { ...pair, user: toUserView(user) };
}
