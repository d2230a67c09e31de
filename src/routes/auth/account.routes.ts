import { z } from "@hono/zod-openapi";
import { authenticate } from "../../middleware/authenticate";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { Password, UserSchema } from "./auth.schemas";

const secured = { tags: ["Account"], security: [{ bearerAuth: [] }], middleware: authenticate() };

const SessionSchema = z
  .object({
    id: z.uuid(),
    current: z.boolean(),
    device: z.object({ user_agent: z.string().nullable(), fingerprint: z.string() }),
    ip: z.string().nullable(),
    location: z.object({
      country: z.string().nullable(),
      city: z.string().nullable(),
      asn: z.number().nullable(),
    }),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
  })
  .openapi("Session");

const SecurityEventSchema = z
  .object({
    id: z.uuid(),
    type: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.iso.datetime(),
  })
  .openapi("SecurityEvent");

export const getMe = defineRoute({
  method: "get",
  path: "/api/v1/auth/me",
  "x-rate-limit": "account",
  ...secured,
  summary: "The signed-in user.",
  responses: { 200: { description: "The user.", ...jsonContent(UserSchema) }, 401: problems[401] },
});

export const patchMe = defineRoute({
  method: "patch",
  path: "/api/v1/auth/me",
  "x-rate-limit": "account",
  ...secured,
  summary: "Update the signed-in user's profile.",
  request: {
    body: jsonBody(z.object({ display_name: z.string().trim().min(1).max(100).nullable() }).strict()),
  },
  responses: { 200: { description: "The updated user.", ...jsonContent(UserSchema) }, 401: problems[401] },
});

export const changePassword = defineRoute({
  method: "post",
  path: "/api/v1/auth/change-password",
  "x-rate-limit": "account",
  ...secured,
  summary: "Change the password (current one required); every other session ends.",
  request: { body: jsonBody(z.object({ current_password: Password, new_password: Password }).strict()) },
  responses: {
    200: { description: "Changed.", ...jsonContent(z.object({ sessions_ended: z.number().int() })) },
    401: problems[401],
  },
});

export const listSessions = defineRoute({
  method: "get",
  path: "/api/v1/auth/sessions",
  "x-rate-limit": "account",
  ...secured,
  summary: "The user's live sessions: device, IP, location, times, and which is this one.",
  responses: {
    200: { description: "Sessions.", ...jsonContent(z.object({ sessions: z.array(SessionSchema) })) },
    401: problems[401],
  },
});

export const deleteSession = defineRoute({
  method: "delete",
  path: "/api/v1/auth/sessions/{id}",
  "x-rate-limit": "account",
  ...secured,
  summary: "End one of the user's sessions now.",
  request: { params: IdParam },
  responses: { 204: { description: "Ended." }, 401: problems[401], 404: problems[404] },
});

export const deleteOtherSessions = defineRoute({
  method: "delete",
  path: "/api/v1/auth/sessions",
  "x-rate-limit": "account",
  ...secured,
  summary: "End every session except this one.",
  responses: {
    200: { description: "Ended.", ...jsonContent(z.object({ sessions_ended: z.number().int() })) },
    401: problems[401],
  },
});

export const listSecurityEvents = defineRoute({
  method: "get",
  path: "/api/v1/auth/security-events",
  "x-rate-limit": "account",
  ...secured,
  summary: "The user's own security events, newest first.",
  request: { query: PageQuery },
  responses: {
    200: { description: "A page of events.", ...jsonContent(pageSchema(SecurityEventSchema)) },
    401: problems[401],
  },
});

export const requestEmailVerification = defineRoute({
  method: "post",
  path: "/api/v1/auth/verify-email",
  "x-rate-limit": "account",
  ...secured,
  summary: "Send a new verification link to the user's address.",
  responses: { 202: { description: "Sent." }, 401: problems[401], 409: problems[409] },
});
