import { z } from "@hono/zod-openapi";
import { problems } from "../../openapi";
import type { Tenant, User } from "../../services/tenancy/types";

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

/** Cookie mode: the refresh token travels only as an HttpOnly cookie; a CSRF token comes with the pair. */
export const CookieTokenPairSchema = TokenPairSchema.omit({ refresh_token: true })
  .extend({
    csrf_token: z.string().openapi({
      description:
        "Send it back in `X-CSRF-Token` on every POST, PUT, PATCH and DELETE; it is also set as the `__Host-finedge_csrf` cookie.",
    }),
  })
  .openapi("CookieTokenPair");

export const LoginSuccessSchema = TokenPairSchema.extend({ user: UserSchema }).openapi("LoginSuccess");
export const CookieLoginSuccessSchema = CookieTokenPairSchema.extend({ user: UserSchema }).openapi(
  "CookieLoginSuccess",
);

export const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string(),
    methods: z.array(z.enum(["totp", "backup_code"])),
    expires_in: z.number().int(),
  })
  .openapi("MfaChallenge");

export const LoginResponseSchema = z
  .union([LoginSuccessSchema, CookieLoginSuccessSchema, MfaChallengeSchema])
  .openapi("LoginResponse");

/** Cookie mode: the CSRF token, echoed from the JSON of the sign-in or from its cookie. */
export const CsrfHeader = z
  .string()
  .max(512)
  .optional()
  .openapi({ description: "Cookie mode: the CSRF token (the `__Host-finedge_csrf` cookie's value)." });

/** What the `csrf` middleware answers in cookie mode (every unsafe route can; these contracts say so). */
export const CsrfRefused = {
  description:
    "`csrf_failed`: in cookie mode, the CSRF token is missing, does not match its cookie or session, or the origin is foreign.",
  content: problems[403].content,
};

/** What a route that needs a recent re-authentication answers without one. */
export const StepUpRefused = {
  description:
    "`step_up_required`: the session has not re-authenticated in the last 5 minutes (or did so with a weaker factor than the user now holds). `POST /api/v1/auth/step-up`, then retry. In cookie mode, `csrf_failed` as well.",
  content: problems[403].content,
};

/** The opt-in to cookie mode on the routes that sign in; without it, tokens come back in JSON as always. */
export const TokenDeliveryHeaders = z.object({
  "x-token-delivery": z
    .enum(["cookie"])
    .optional()
    .openapi({
      description:
        "`cookie` (browser clients): the refresh token is set as an HttpOnly `__Secure-finedge_refresh` cookie " +
        "for `/api/v1/auth/refresh` instead of being returned, and a CSRF token is issued. Omit it for bearer tokens.",
    }),
});

export const TotpCode = z
  .string()
  .regex(/^\d{6}$/, "a 6-digit code")
  .openapi({ example: "123456" });

/** The public view of a user: never the password hash or the TOTP secret. */
export const toUserView = (
  user: Pick<
    User,
    "id" | "tenantId" | "email" | "emailVerifiedAt" | "displayName" | "role" | "totpEnabledAt" | "createdAt"
  >,
) => ({
  id: user.id,
  tenant_id: user.tenantId,
  email: user.email,
  email_verified: user.emailVerifiedAt !== null,
  display_name: user.displayName,
  role: user.role,
  two_factor_enabled: user.totpEnabledAt !== null,
  created_at: user.createdAt.toISOString(),
});

export const toTenantView = (tenant: Tenant) => ({
  id: tenant.id,
  name: tenant.name,
  created_at: tenant.createdAt.toISOString(),
});
