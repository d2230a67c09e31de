import { and, asc, eq, sql } from "drizzle-orm";
import type { Querier } from "../client";
import {
  type WebhookDeliveryStatus,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EventRow = typeof webhookEvents.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

const endpointKeys = keyset(webhookEndpoints.createdAt, webhookEndpoints.id);
const deliveryKeys = keyset(webhookDeliveries.createdAt, webhookDeliveries.id);

export function endpointsPage(
  db: Querier,
  tenantId: string,
  options: { before?: TimePosition; limit: number },
) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), endpointKeys.before(options.before)))
    .orderBy(...endpointKeys.order)
    .limit(options.limit);
}

export function endpointById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .limit(1);
}

/** The tenant's deliveries, newest first, with their events' types. */
export function deliveriesPage(
  db: Querier,
  tenantId: string,
  options: {
    endpointId?: string | undefined;
    status?: WebhookDeliveryStatus | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  return db
    .select({ delivery: webhookDeliveries, eventType: webhookEvents.type })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.tenantId, tenantId),
        options.endpointId ? eq(webhookDeliveries.endpointId, options.endpointId) : undefined,
        options.status ? eq(webhookDeliveries.status, options.status) : undefined,
        deliveryKeys.before(options.before),
      ),
    )
    .orderBy(...deliveryKeys.order)
    .limit(options.limit);
}

/** A delivery with its event and endpoint (a list of one, or none). */
export function deliveryById(db: Querier, tenantId: string, id: string) {
  return db
    .select({ delivery: webhookDeliveries, event: webhookEvents, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, id)))
    .limit(1);
}

/** A delivery's attempts, first first. */
export function attemptsOf(db: Querier, tenantId: string, deliveryId: string) {
  return db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.tenantId, tenantId), eq(webhookAttempts.deliveryId, deliveryId)))
    .orderBy(asc(webhookAttempts.attempt));
}

/**
 * Takes attempt `attempt` of a pending delivery: only the copy of a queue message that finds it still at the
 * attempt before wins (a list of one row), so a message delivered twice sends once.
 */
export function claimAttempt(db: Querier, tenantId: string, id: string, attempt: number, until: Date) {
  return db
    .update(webhookDeliveries)
    .set({ attempts: attempt, claimedUntil: until })
    .where(
      and(
        eq(webhookDeliveries.tenantId, tenantId),
        eq(webhookDeliveries.id, id),
        eq(webhookDeliveries.status, "pending"),
        eq(webhookDeliveries.attempts, attempt - 1),
      ),
    )
    .returning();
}

/**
 * Platform scope: the pending deliveries due by `now` that no sender holds, marked as handed to the queue until
 * `until` (their messages are sent next); oldest first, at most `limit`.
 */
export function takeDue(db: Querier, now: Date, until: Date, limit: number) {
  return db.execute(sql`
    update ${webhookDeliveries} d set claimed_until = ${until}
     where d.id in (
       select id from ${webhookDeliveries}
        where status = 'pending' and next_attempt_at <= ${now}
          and (claimed_until is null or claimed_until <= ${now})
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
    returning d.id, d.tenant_id, d.attempts`);
}
