import type { RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { requireSealing } from "../../services/crypto/secrets-at-rest";
import * as deliveries from "../../services/webhooks/deliveries";
import * as endpoints from "../../services/webhooks/endpoints";
import { pageBody } from "../page";
import type * as routes from "./webhooks.routes";

const iso = (d: Date | null) => d?.toISOString() ?? null;

const endpointView = (e: endpoints.EndpointRow): z.infer<typeof routes.EndpointSchema> => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  status: e.status,
  disabled_reason: e.disabledReason,
  failing_since: iso(e.failingSince),
  version: e.version,
  created_at: e.createdAt.toISOString(),
  updated_at: e.updatedAt.toISOString(),
});

const deliveryView = (
  d: deliveries.DeliveryRow,
  event: { id: string; type: string; createdAt?: Date },
): z.infer<typeof routes.DeliverySchema> => ({
  id: d.id,
  endpoint_id: d.endpointId,
  event: {
    id: event.id,
    type: event.type,
    ...(event.createdAt ? { created_at: event.createdAt.toISOString() } : {}),
  },
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: iso(d.nextAttemptAt),
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  delivered_at: iso(d.deliveredAt),
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
});

/** Local development and tests may register http and local receivers; nothing else may. */
const local = (c: Context<AppEnv>) => ["development", "test"].includes(c.get("config").ENVIRONMENT);

export const listEndpoints: RouteHandler<typeof routes.listEndpoints, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  return c.json(pageBody(await endpoints.listEndpoints(tenantOf(c), { limit, cursor }), endpointView), 200);
};

export const createEndpoint: RouteHandler<typeof routes.createEndpoint, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const sealing = requireSealing(await c.get("context").secretsAtRest());
  const { endpoint, secret } = await endpoints.createEndpoint(
    tenantOf(c),
    sealing,
    { url: body.url, events: body.events, description: body.description ?? null },
    local(c),
  );
  return c.json({ ...endpointView(endpoint), secret }, 201);
};

export const getEndpoint: RouteHandler<typeof routes.getEndpoint, AppEnv> = async (c) =>
  c.json(endpointView(await endpoints.getEndpoint(tenantOf(c), c.req.valid("param").id)), 200);

export const updateEndpoint: RouteHandler<typeof routes.updateEndpoint, AppEnv> = async (c) => {
  const row = await endpoints.updateEndpoint(
    tenantOf(c),
    c.req.valid("param").id,
    c.req.valid("json"),
    local(c),
  );
  return c.json(endpointView(row), 200);
};

export const deleteEndpoint: RouteHandler<typeof routes.deleteEndpoint, AppEnv> = async (c) => {
  await endpoints.deleteEndpoint(tenantOf(c), c.req.valid("param").id, c.req.valid("query").version);
  return c.body(null, 204);
};

export const listDeliveries: RouteHandler<typeof routes.listDeliveries, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await deliveries.listDeliveries(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    endpointId: q.endpoint_id,
    status: q.status,
  });
  return c.json(
    pageBody(page, (row) => deliveryView(row.delivery, { id: row.delivery.eventId, type: row.eventType })),
    200,
  );
};

export const getDelivery: RouteHandler<typeof routes.getDelivery, AppEnv> = async (c) => {
  const found = await deliveries.getDelivery(tenantOf(c), c.req.valid("param").id);
  return c.json(
    {
      ...deliveryView(found.delivery, found.event),
      payload: {
        id: found.event.id,
        type: found.event.type,
        created_at: found.event.createdAt.toISOString(),
        tenant_id: found.event.tenantId,
        data: found.event.data,
      },
      log: found.attempts.map((a) => ({
        attempt: a.attempt,
        started_at: a.startedAt.toISOString(),
        duration_ms: a.durationMs,
        status_code: a.statusCode,
        error: a.error,
        response_excerpt: a.responseExcerpt,
      })),
    },
    200,
  );
};

export const redeliver: RouteHandler<typeof routes.redeliver, AppEnv> = async (c) => {
  const ctx = tenantOf(c);
  const row = await deliveries.redeliver(ctx, c.req.valid("param").id);
  // Straight to the queue: held five minutes by the write, so the sweep does not send it as well.
  await c.get("context").scoringQueue.send({
    type: "webhook",
    tenantId: ctx.tenantId,
    deliveryId: row.id,
    attempt: row.attempts + 1,
  });
  return c.json(deliveryView(row, { id: row.eventId, type: "" }), 202);
};
