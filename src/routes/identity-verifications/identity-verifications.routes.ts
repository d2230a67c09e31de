import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { ProviderEventSchema, SIGNATURE_HEADER } from "../../services/compliance/identity-provider";
import { VERIFICATION_STATUSES } from "../../services/compliance/types";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Customers"];
const CheckResult = z.enum(["clear", "consider"]);

export const VerificationSchema = z
  .object({
    id: z.uuid(),
    customer_id: z.uuid(),
    status: z.enum(VERIFICATION_STATUSES).openapi({
      description:
        "pending at the provider; verified or rejected; needs_review when an approval does not agree with the customer (an analyst decides); resubmission_requested or expired: start another.",
    }),
    session_url: z
      .url()
      .nullable()
      .openapi({ description: "Where the customer shows their document and selfie; while pending." }),
    expires_at: z.iso.datetime(),
    provider_session_id: z.string(),
    outcome: z
      .object({
        decision: z.enum(["approved", "declined", "resubmission_requested", "expired"]),
        document: z
          .object({
            result: CheckResult,
            type: z.string(),
            issuing_country: z.string(),
            expired: z.boolean(),
          })
          .nullable(),
        selfie: z.object({ result: CheckResult, liveness: CheckResult, similarity: z.number() }).nullable(),
        name_similarity: z
          .number()
          .nullable()
          .openapi({ description: "How alike the document's name is to the customer's, 0-1." }),
        date_of_birth_matches: z.boolean().nullable(),
        reasons: z.array(z.string()).openapi({
          description: "The provider's (`provider:` prefixed) and this side's findings.",
        }),
      })
      .nullable()
      .openapi({ description: "The checks' results, never the document's personal values." }),
    started_by: z.object({ type: z.enum(["user", "api_key"]), id: z.uuid().nullable() }),
    decided_at: z.iso.datetime().nullable(),
    review: z.object({ by: z.uuid(), at: z.iso.datetime(), note: z.string().nullable() }).nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("IdentityVerification");

export const startVerification = defineRoute({
  method: "post",
  path: "/api/v1/customers/{id}/verifications",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:write", { standingInBatch: true }),
  summary:
    "Start a person's identity verification at the provider (document and selfie); send them to `session_url`. The customer is pending until the provider decides. 409 while another is open; 422 for an entity or without a date of birth; 503 without a provider.",
  request: { params: IdParam },
  responses: {
    201: { description: "The verification, pending.", ...jsonContent(VerificationSchema) },
    409: problems[409],
    422: problems[422],
  },
});

export const listVerifications = defineRoute({
  method: "get",
  path: "/api/v1/identity-verifications",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:read", { standingInBatch: true }),
  summary:
    "Identity verifications, newest first: one customer's (`customer_id`), or the review queue (`status=needs_review`).",
  request: {
    query: PageQuery.extend({
      customer_id: z.uuid().optional(),
      status: z.enum(VERIFICATION_STATUSES).optional(),
    }),
  },
  responses: {
    200: { description: "A page of verifications.", ...jsonContent(pageSchema(VerificationSchema)) },
  },
});

export const getVerification = defineRoute({
  method: "get",
  path: "/api/v1/identity-verifications/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:read", { standingInBatch: true }),
  summary: "One identity verification.",
  request: { params: IdParam },
  responses: { 200: { description: "The verification.", ...jsonContent(VerificationSchema) } },
});

export const reviewVerification = defineRoute({
  method: "post",
  path: "/api/v1/identity-verifications/{id}/review",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("customers:write", { standingInBatch: true }),
  summary:
    "Decide a verification awaiting review: approve (the customer verified, KYC level 2 at least) or reject (the customer rejected). By a person other than who started it; 409 unless it awaits review.",
  request: {
    params: IdParam,
    body: jsonBody(z.object({ decision: z.enum(["approve", "reject"]), note: text(1000) }).strict()),
  },
  responses: {
    200: { description: "The verification as decided.", ...jsonContent(VerificationSchema) },
    403: problems[403],
    409: problems[409],
  },
});

export const providerEvent = defineRoute({
  method: "post",
  path: "/api/v1/identity-verifications/events",
  "x-rate-limit": "provider_callback",
  tags,
  summary: `The verification provider's signed decision (its callback): \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">\` under a configured secret, within five minutes. A repeated delivery answers 200 and changes nothing.`,
  security: [{ providerSignature: [] }],
  request: { body: jsonBody(ProviderEventSchema) },
  responses: {
    200: {
      description: "Recorded (or recorded before).",
      ...jsonContent(
        z.object({ recorded: z.boolean(), verification_id: z.uuid(), status: z.enum(VERIFICATION_STATUSES) }),
      ),
    },
    401: problems[401],
    404: problems[404],
    409: problems[409],
  },
});
