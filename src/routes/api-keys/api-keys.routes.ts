import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { API_KEY_SCOPES } from "../../services/tenancy/permissions";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["API keys"];

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to recognise it." }),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    organization_id: z.uuid().nullable(),
    expires_at: z.iso.datetime().nullable(),
    last_used_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("ApiKey");

export const createApiKey = defineRoute({
  method: "post",
  path: "/api/v1/api-keys",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("api_keys:manage", { standingInBatch: true }),
  summary: "Create an API key for a machine; the secret is in this response only.",
  description:
    "Needs a recent step-up of the calling session (`POST /api/v1/auth/step-up`), else 403 `step_up_required`. " +
    "Only users create keys: an API key cannot create another (no scope grants `api_keys:manage`).",
  request: {
    body: jsonBody(
      z
        .object({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
          organization_id: z
            .uuid()
            .optional()
            .openapi({ description: "Confine the key to one organization." }),
          expires_at: z.iso.datetime({ offset: true }).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    201: {
      description: "The key, with its secret (`key`) shown this once.",
      ...jsonContent(ApiKeySchema.extend({ key: z.string().openapi({ example: "fek_..." }) })),
    },
  },
});

export const listApiKeys = defineRoute({
  method: "get",
  path: "/api/v1/api-keys",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("api_keys:read", { standingInBatch: true }),
  summary: "The tenant's API keys (never their secrets).",
  request: {
    query: PageQuery.extend({
      include_revoked: z
        .enum(["true", "false"])
        .default("false")
        .transform((v) => v === "true"),
    }),
  },
  responses: { 200: { description: "A page of keys.", ...jsonContent(pageSchema(ApiKeySchema)) } },
});

export const revokeApiKey = defineRoute({
  method: "delete",
  path: "/api/v1/api-keys/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("api_keys:manage", { standingInBatch: true }),
  summary: "Revoke an API key; it is refused from the next request on.",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked." } },
});
