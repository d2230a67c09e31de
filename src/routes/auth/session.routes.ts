import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { REFRESH_COOKIE_NAME } from "../../services/auth/cookies";
import {
  CookieTokenPairSchema,
  CsrfHeader,
  CsrfRefused,
  Email,
  LoginResponseSchema,
  Password,
  TenantSchema,
  TokenDeliveryHeaders,
  TokenPairSchema,
  TotpCode,
  UserSchema,
} from "./auth.schemas";

const tags = ["Auth"];

const Registered = z.object({ user: UserSchema, tenant: TenantSchema });

export const register = defineRoute({
  method: "post",
  path: "/api/v1/auth/register",
  "x-rate-limit": "register",
  tags,
  summary: "Create an account and its tenant; returns the user, the tenant and a token pair.",
  description: "Unknown fields (`role`, `tenant_id`, ...) are refused with 422. A taken e-mail is 409.",
  request: {
    headers: TokenDeliveryHeaders,
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
      description: "Registered (in cookie mode, the refresh token is a cookie and a CSRF token is returned).",
      ...jsonContent(
        z.union([Registered.extend(TokenPairSchema.shape), Registered.extend(CookieTokenPairSchema.shape)]),
      ),
    },
    403: CsrfRefused,
    409: problems[409],
  },
});

export const login = defineRoute({
  method: "post",
  path: "/api/v1/auth/login",
  "x-rate-limit": "login",
  tags,
  summary: "Sign in with e-mail and password; returns a token pair, or a second-factor challenge.",
  request: {
    headers: TokenDeliveryHeaders,
    body: jsonBody(z.object({ email: Email, password: Password }).strict()),
  },
  responses: {
    200: { description: "Signed in, or `mfa_required`.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    403: CsrfRefused,
    423: {
      description: "Locked after too many failures; `Retry-After` says for how long.",
      content: problems[401].content,
    },
  },
});

export const loginTotp = defineRoute({
  method: "post",
  path: "/api/v1/auth/login/2fa",
  "x-rate-limit": "login_2fa",
  tags,
  summary: "Complete a sign-in with the challenge token and a TOTP code.",
  request: {
    headers: TokenDeliveryHeaders,
    body: jsonBody(z.object({ mfa_token: z.string().min(1).max(4096), code: TotpCode }).strict()),
  },
  responses: {
    200: { description: "Signed in.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    403: CsrfRefused,
    423: problems[401],
  },
});

export const loginBackupCode = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/backup-code",
  "x-rate-limit": "login_2fa",
  tags,
  summary: "Complete a sign-in with the challenge token and a single-use backup code.",
  request: {
    headers: TokenDeliveryHeaders,
    body: jsonBody(
      z.object({ mfa_token: z.string().min(1).max(4096), backup_code: z.string().min(1).max(64) }).strict(),
    ),
  },
  responses: {
    200: { description: "Signed in.", ...jsonContent(LoginResponseSchema) },
    401: problems[401],
    403: CsrfRefused,
    423: problems[401],
  },
});

export const refresh = defineRoute({
  method: "post",
  path: "/api/v1/auth/refresh",
  "x-rate-limit": "refresh",
  tags,
  summary: "Rotate a refresh token: a new pair; a reused token ends its whole session.",
  description:
    "The refresh token comes either in the body (bearer clients) or as the refresh cookie (cookie mode, body " +
    "empty or `{}`), never both (422). In cookie mode `X-CSRF-Token` must equal the CSRF cookie and belong to " +
    "the refresh token's session; the answer sets a new refresh cookie and a new CSRF token.",
  request: {
    headers: z.object({ "x-csrf-token": CsrfHeader }),
    cookies: z.object({
      [REFRESH_COOKIE_NAME]: z
        .string()
        .optional()
        .openapi({ description: "Cookie mode: the refresh token." }),
    }),
    body: {
      required: false,
      ...jsonContent(z.object({ refresh_token: z.string().min(1).max(512).optional() }).strict()),
    },
  },
  responses: {
    200: {
      description: "A new token pair (in cookie mode, without the refresh token and with a CSRF token).",
      ...jsonContent(z.union([TokenPairSchema, CookieTokenPairSchema])),
    },
    401: problems[401],
    403: CsrfRefused,
  },
});

export const logout = defineRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  "x-rate-limit": "logout",
  tags,
  summary: "End this session now: its tokens are refused from the next request on.",
  description: "In cookie mode the answer also deletes both cookies.",
  security: [{ bearerAuth: [] }],
  middleware: authenticate(),
  request: {
    headers: z.object({
      "x-token-delivery": z
        .enum(["cookie"])
        .optional()
        .openapi({ description: "`cookie`: delete both cookies even when the request carries none." }),
      "x-csrf-token": CsrfHeader,
    }),
  },
  responses: { 204: { description: "Signed out." }, 401: problems[401], 403: CsrfRefused },
});
