/**
 * The delivery log: a tenant's deliveries (of an endpoint, or in a state), one with its event and every attempt
 * (status, duration, the answer's start), and redelivery - a delivery of any state due again now, sent by the
 * queue like any other (its attempts go on counting). Reads are one round trip, a redelivery one.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type AttemptRow,
  attemptsOf,
  type DeliveryRow,
  deliveriesPage,
  deliveryById,
  type EndpointRow,
  type EventRow,
} from "../../db/repositories/webhooks.repository";
import { meetingRequirements, requirement } from "../../db/requirements";
import { type WebhookDeliveryStatus, webhookDeliveries, webhookEndpoints } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";

export type { AttemptRow, DeliveryRow, EventRow };

const deliveryNotFound = () => new AppError("not_found", "No such webhook delivery.");

export async function listDeliveries(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    endpointId?: string | undefined;
    status?: WebhookDeliveryStatus | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    deliveriesPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.delivery.createdAt, id: row.delivery.id }));
}

export async function getDelivery(
  ctx: TenantContext,
  id: string,
): Promise<{ delivery: DeliveryRow; event: EventRow; endpoint: EndpointRow; attempts: AttemptRow[] }> {
  const { found, attempts } = await ctx.read((db) => ({
    found: read(deliveryById(db, ctx.tenantId, id), (rows) => rows[0]),
    attempts: read(attemptsOf(db, ctx.tenantId, id)),
  }));
  if (!found) throw deliveryNotFound();
  return { ...found, attempts };
}

/** Makes a delivery due now (whatever its state); the caller hands it to the queue. */
export async function redeliver(ctx: TenantContext, id: string): Promise<DeliveryRow> {
  const event = eventOf(ctx, {
    action: "webhook_delivery.redelivered",
    resourceType: "webhook_delivery",
    resourceId: id,
  });
  const refusals = {
    missing: deliveryNotFound,
    disabled: () => new AppError("conflict", "The delivery's endpoint is disabled: enable it first."),
  };
  const written = await meetingRequirements(refusals, () =>
    ctx.write("webhooks:manage", null, (db) => ({
      exists: read(
        requirement(
          db,
          sql`exists (select 1 from ${webhookDeliveries} where ${webhookDeliveries.tenantId} = ${ctx.tenantId}
                      and ${webhookDeliveries.id} = ${id} for update)`,
          "missing",
        ),
      ),
      enabled: read(
        requirement(
          db,
          sql`exists (select 1 from ${webhookDeliveries} d join ${webhookEndpoints} e on e.id = d.endpoint_id
                     where d.tenant_id = ${ctx.tenantId} and d.id = ${id} and e.status = 'enabled')`,
          "disabled",
        ),
      ),
      row: read(
        db
          .update(webhookDeliveries)
          .set({
            status: "pending",
            nextAttemptAt: sql`now()`,
            // The request queues its message itself; the sweep leaves it alone meanwhile.
            claimedUntil: sql`now() + interval '5 minutes'`,
            deliveredAt: null,
          })
          .where(and(eq(webhookDeliveries.tenantId, ctx.tenantId), eq(webhookDeliveries.id, id)))
          .returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  if (!written.row) throw deliveryNotFound();
  ctx.audited += 1;
  return written.row;
}
