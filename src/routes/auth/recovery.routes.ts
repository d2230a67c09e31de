import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { CsrfRefused, Email, LoginResponseSchema, Password, TokenDeliveryHeaders } from "./auth.schemas";

const tags = ["Account recovery"];
const Token = z.string().min(16).max(512);

export const confirmEmail = defineRoute({
  method: "post",
  path: "/api/v1/auth/verify-email/confirm",
  "x-rate-limit": "account_email",
  tags,
  summary: "Confirm an e-mail address with the token from the verification link.",
  request: { body: jsonBody(z.object({ token: Token }).strict()) },
  responses: { 204: { description: "Verified." }, 400: problems[400] },
});

export const forgotPassword = defineRoute({
  method: "post",
  path: "/api/v1/auth/password/forgot",
  "x-rate-limit": "account_email",
  tags,
  summary: "Send a password-reset link; the answer is the same whether or not the account exists.",
  request: { body: jsonBody(z.object({ email: Email }).strict()) },
  responses: { 202: { description: "Accepted." } },
});

export const resetPassword = defineRoute({
  method: "post",
  path: "/api/v1/auth/password/reset",
  "x-rate-limit": "account_email",
  tags,
  summary:
    "Set a new password with a reset token; every session ends, and 2FA still applies at the next login.",
  request: { body: jsonBody(z.object({ token: Token, new_password: Password }).strict()) },
  responses: { 204: { description: "Password reset." }, 400: problems[400] },
});

export const requestMagicLink = defineRoute({
  method: "post",
  path: "/api/v1/auth/magic-link",
  "x-rate-limit": "account_email",
  tags,
  summary: "Send a sign-in link; the answer is the same whether or not the account exists.",
  request: { body: jsonBody(z.object({ email: Email }).strict()) },
  responses: { 202: { description: "Accepted." } },
});

export const verifyMagicLink = defineRoute({
  method: "post",
  path: "/api/v1/auth/magic-link/verify",
  "x-rate-limit": "login",
  tags,
  summary: "Sign in with a magic-link token; a second factor is still asked for when enabled.",
  request: { headers: TokenDeliveryHeaders, body: jsonBody(z.object({ token: Token }).strict()) },
  responses: {
    200: { description: "Signed in, or `mfa_required`.", ...jsonContent(LoginResponseSchema) },
    400: problems[400],
    403: CsrfRefused,
    423: problems[401],
  },
});
