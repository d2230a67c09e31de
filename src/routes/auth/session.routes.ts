import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import {
  Email,
  LoginResponseSchema,
  Password,
  TenantSchema,
  TokenPairSchema,
  TotpCode,
  UserSchema,
} from "./auth.schemas";

const tags = ["Auth"];

export const register = defineRoute({
  method: "post",
  path: "/api/v1/auth/register",
  tags,
  summary: "Create an account and its tenant; returns the user, the tenant and a token pair.",
  description: "Unknown fields (`role`, `tenant_id`, ...) are refused with 422. A taken e-mail is 409.",
  request: {
    body: jsonBody(
      z
        .object({
          email: Email,
          password: Password,
          display_name: z.string().trim().min(1).max(100).optional(),
          tenant_name: z.string().trim().min(1).max(100).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: {
      description: "Registered.",
      ...jsonContent(z.object({ user: UserSchema, tenant: TenantSchema }).extend(TokenPairSchema.shape)),
    },
    409: problems[409],
  },
});

export const login = defineRoute({
  method: "post",
  path: "/api/v1/auth/login",
  tags,
  summary: "Sign in with e-mail and password; returns a token pair, or a second-factor challenge.",
  request: { body: jsonBody(z.object({ email: Email, password: Password }).strict()) },
  responses: {
    200: { description: "Signed in, or `mfa_required`.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    423: {
      description: "Locked after too many failures; `Retry-After` says for how long.",
      content: problems[401].content,
    },
  },
});

export const loginTotp = defineRoute({
  method: "post",
  path: "/api/v1/auth/login/2fa",
  tags,
  summary: "Complete a sign-in with the challenge token and a TOTP code.",
  request: { body: jsonBody(z.object({ mfa_token: z.string().min(1).max(4096), code: TotpCode }).strict()) },
  responses: {
    200: { description: "Signed in.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    423: problems[401],
  },
});

export const loginBackupCode = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/backup-code",
  tags,
  summary: "Complete a sign-in with the challenge token and a single-use backup code.",
  request: {
    body: jsonBody(
      z.object({ mfa_token: z.string().min(1).max(4096), backup_code: z.string().min(1).max(64) }).strict(),
    ),
  },
  responses: {
    200: { description: "Signed in.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    423: problems[401],
  },
});

export const refresh = defineRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  tags,
  summary: "Rotate a refresh token: a new pair; a reused token ends its whole session.",
  request: { body: jsonBody(z.object({ refresh_token: z.string().min(1).max(512) }).strict()) },
  responses: {
    200: { description: "A new token pair.", ...jsonContent(TokenPairSchema) },
    401: problems[401],
  },
});

export const logout = defineRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  tags,
  summary: "End this session now: its tokens are refused from the next request on.",
  security: [{ bearerAuth: [] }],
  middleware: authenticate(),
  responses: { 204: { description: "Signed out." }, 401: problems[401] },
});
