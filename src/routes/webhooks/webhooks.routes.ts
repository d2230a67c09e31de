import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import {
  WEBHOOK_DELIVERY_STATUSES,
  WEBHOOK_ENDPOINT_STATUSES,
  WEBHOOK_EVENT_TYPES,
} from "../../services/webhooks/types";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Webhooks"];

const Url = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .openapi({ example: "https://hooks.example.com/finedge" });
const Events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .openapi({ example: ["job.finished", "security.alert"] });

export const EndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    status: z.enum(WEBHOOK_ENDPOINT_STATUSES),
    disabled_reason: z.string().nullable(),
    failing_since: z.iso.datetime().nullable().openapi({
      description: "Since when every attempt has failed; three days of it disable the endpoint.",
    }),
    version: z.number().int(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("WebhookEndpoint");

export const DeliverySchema = z
  .object({
    id: z.uuid(),
    endpoint_id: z.uuid(),
    event: z.object({ id: z.uuid(), type: z.string(), created_at: z.iso.datetime().optional() }),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: z.iso.datetime().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("WebhookDelivery");

const DeliveryDetailSchema = DeliverySchema.extend({
  payload: z.record(z.string(), z.unknown()).openapi({ description: "The body as sent (signed)." }),
  log: z.array(
    z.object({
      attempt: z.number().int(),
      started_at: z.iso.datetime(),
      duration_ms: z.number().int(),
      status_code: z.number().int().nullable(),
      error: z.string().nullable(),
      response_excerpt: z.string().nullable(),
    }),
  ),
}).openapi("WebhookDeliveryDetail");

export const listEndpoints = defineRoute({
  method: "get",
  path: "/api/v1/webhooks/endpoints",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:read", { standingInBatch: true }),
  summary: "The tenant's webhook endpoints, newest first.",
  request: { query: PageQuery },
  responses: { 200: { description: "A page of endpoints.", ...jsonContent(pageSchema(EndpointSchema)) } },
});

export const createEndpoint = defineRoute({
  method: "post",
  path: "/api/v1/webhooks/endpoints",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:manage", { standingInBatch: true }),
  summary:
    "Register an endpoint for some events. In production only https to a public host (422 otherwise). The answer holds the signing `secret` - shown this once.",
  request: {
    body: jsonBody(z.object({ url: Url, events: Events, description: text(200).optional() }).strict()),
  },
  responses: {
    201: {
      description: "The endpoint, with its secret.",
      ...jsonContent(EndpointSchema.extend({ secret: z.string() }).openapi("WebhookEndpointCreated")),
    },
    422: problems[422],
  },
});

export const getEndpoint = defineRoute({
  method: "get",
  path: "/api/v1/webhooks/endpoints/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:read", { standingInBatch: true }),
  summary: "One endpoint (never its secret).",
  request: { params: IdParam },
  responses: { 200: { description: "The endpoint.", ...jsonContent(EndpointSchema) } },
});

export const updateEndpoint = defineRoute({
  method: "patch",
  path: "/api/v1/webhooks/endpoints/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:manage", { standingInBatch: true }),
  summary:
    "Change an endpoint at the `version` read (409 otherwise): its URL, events, description, or `enabled` (enabled again, its failure record starts afresh).",
  request: {
    params: IdParam,
    body: jsonBody(
      z
        .object({
          version: z.number().int().min(1),
          url: Url.optional(),
          events: Events.optional(),
          description: text(200).nullable().optional(),
          enabled: z.boolean().optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The endpoint.", ...jsonContent(EndpointSchema) }, 409: problems[409] },
});

export const deleteEndpoint = defineRoute({
  method: "delete",
  path: "/api/v1/webhooks/endpoints/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:manage", { standingInBatch: true }),
  summary: "Delete an endpoint at the `version` read, with its delivery log (409 at another version).",
  request: { params: IdParam, query: z.object({ version: z.coerce.number().int().min(1) }) },
  responses: { 204: { description: "Deleted." }, 409: problems[409] },
});

export const listDeliveries = defineRoute({
  method: "get",
  path: "/api/v1/webhooks/deliveries",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:read", { standingInBatch: true }),
  summary: "The delivery log, newest first: of one endpoint, or in one state.",
  request: {
    query: PageQuery.extend({
      endpoint_id: z.uuid().optional(),
      status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
    }),
  },
  responses: { 200: { description: "A page of deliveries.", ...jsonContent(pageSchema(DeliverySchema)) } },
});

export const getDelivery = defineRoute({
  method: "get",
  path: "/api/v1/webhooks/deliveries/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:read", { standingInBatch: true }),
  summary:
    "One delivery: the body sent and every attempt with its status code, duration and the answer's start.",
  request: { params: IdParam },
  responses: { 200: { description: "The delivery.", ...jsonContent(DeliveryDetailSchema) } },
});

export const redeliver = defineRoute({
  method: "post",
  path: "/api/v1/webhooks/deliveries/{id}/redeliver",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("webhooks:manage", { standingInBatch: true }),
  summary: "Send a delivery again now, whatever its state (409 while its endpoint is disabled).",
  request: { params: IdParam },
  responses: { 202: { description: "Due now.", ...jsonContent(DeliverySchema) }, 409: problems[409] },
});
