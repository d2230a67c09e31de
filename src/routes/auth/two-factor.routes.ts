import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { StepUpRefused, TotpCode } from "./auth.schemas";

const secured = { tags: ["Two-factor"], security: [{ bearerAuth: [] }], middleware: authenticate() };
const BackupCodes = z.object({ backup_codes: z.array(z.string()).length(10) }).openapi("BackupCodes");

export const enableTotp = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/enable",
  "x-rate-limit": "two_factor",
  ...secured,
  summary:
    "Start TOTP enrolment: a secret, its otpauth:// URI and a QR code (SVG). Not active until verified. Needs a fresh step-up.",
  responses: {
    200: {
      description: "Enrolment started.",
      ...jsonContent(z.object({ secret: z.string(), otpauth_uri: z.string(), qr_svg: z.string() })),
    },
    401: problems[401],
    403: StepUpRefused,
    409: problems[409],
  },
});

export const verifyTotp = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/verify",
  "x-rate-limit": "two_factor",
  ...secured,
  summary:
    "Activate 2FA with a first code (fresh step-up needed); returns 10 single-use backup codes, shown once.",
  request: { body: jsonBody(z.object({ code: TotpCode }).strict()) },
  responses: {
    200: { description: "2FA on.", ...jsonContent(BackupCodes) },
    401: problems[401],
    403: StepUpRefused,
    409: problems[409],
    423: problems[401],
  },
});

export const disableTotp = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/disable",
  "x-rate-limit": "two_factor",
  ...secured,
  summary:
    "Turn 2FA off. Needs a fresh step-up with the second factor; a TOTP or backup code given here is checked too.",
  request: { body: jsonBody(z.object({ code: z.string().min(6).max(64).optional() }).strict()) },
  responses: {
    204: { description: "2FA off." },
    401: problems[401],
    403: StepUpRefused,
    409: problems[409],
    423: problems[401],
  },
});

export const regenerateBackupCodes = defineRoute({
  method: "post",
  path: "/api/v1/auth/2fa/backup-codes",
  "x-rate-limit": "two_factor",
  ...secured,
  summary:
    "Replace the backup codes. Needs a fresh step-up with the second factor; a TOTP code given here is checked too.",
  request: { body: jsonBody(z.object({ code: TotpCode.optional() }).strict()) },
  responses: {
    200: { description: "New codes.", ...jsonContent(BackupCodes) },
    401: problems[401],
    403: StepUpRefused,
    409: problems[409],
    423: problems[401],
  },
});
