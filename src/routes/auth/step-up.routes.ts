import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { Email, Password, StepUpRefused, UserSchema } from "./auth.schemas";

const secured = { tags: ["Account"], security: [{ bearerAuth: [] }], middleware: authenticate() };

export const stepUp = defineRoute({
  method: "post",
  path: "/api/v1/auth/step-up",
  "x-rate-limit": "two_factor",
  ...secured,
  summary: "Re-authenticate this session for 5 minutes with the strongest factor the user holds.",
  description:
    "`{password}` when two-factor authentication is off; `{code}` (a current TOTP or an unused backup code) when " +
    "it is on - the other factor is refused with 422. Sensitive operations (changing 2FA, backup codes, the " +
    "e-mail address, creating API keys) answer 403 `step_up_required` without a recent step-up of the same " +
    "session. A wrong password or code counts towards the lockout (423 once locked).",
  request: {
    body: jsonBody(
      z
        .union([
          z.object({ password: Password }).strict(),
          z.object({ code: z.string().min(6).max(64).openapi({ example: "123456" }) }).strict(),
        ])
        .openapi("StepUpRequest"),
    ),
  },
  responses: {
    200: {
      description: "Stepped up.",
      ...jsonContent(
        z.object({
          step_up_expires_in: z.number().int().openapi({ description: "Seconds the step-up counts for." }),
          factor: z.enum(["password", "totp", "backup_code"]),
        }),
      ),
    },
    401: problems[401],
    423: problems[401],
  },
});

export const requestEmailChange = defineRoute({
  method: "post",
  path: "/api/v1/auth/change-email",
  "x-rate-limit": "two_factor",
  ...secured,
  summary: "Ask to change the e-mail address (fresh step-up needed); a link goes to the new address.",
  description:
    "The new address gets a single-use link (valid 1 hour) and the current one a notice. Nothing changes until " +
    "the link is confirmed; a newer request replaces an unconfirmed one. 409 `email_taken` for an address in use.",
  request: { body: jsonBody(z.object({ email: Email }).strict()) },
  responses: {
    202: { description: "Link sent." },
    401: problems[401],
    403: StepUpRefused,
    409: problems[409],
  },
});

export const confirmEmailChange = defineRoute({
  method: "post",
  path: "/api/v1/auth/change-email/confirm",
  "x-rate-limit": "two_factor",
  ...secured,
  summary: "Confirm an address change with the token from the link, signed in as the same account.",
  description:
    "The address is replaced and marked verified, every other outstanding e-mailed link is spent, every other " +
    "session ends. 409 `email_taken` if the address was taken meanwhile; 400 `invalid_token` for a token that is " +
    "not this account's, used or expired.",
  request: { body: jsonBody(z.object({ token: z.string().min(16).max(512) }).strict()) },
  responses: {
    200: { description: "The user with the new address.", ...jsonContent(UserSchema) },
    400: problems[400],
    401: problems[401],
    409: problems[409],
  },
});
