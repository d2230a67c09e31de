/**
 * Hands due webhook deliveries to the queue: every minute from the cron, and right after a redelivery is asked
 * for. A delivery taken is held for five minutes (its message is on the way); one whose message was lost is due
 * again after that. A delivery is always sent by the queue consumer (sender.ts), never in a request.
 */
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import { takeDue } from "../../db/repositories/webhooks.repository";
import type { WebhookMessage } from "../../queues/messages";

const HOLD_MS = 300_000;

/** Queues the deliveries due at `now` (at most `limit`); how many. */
export async function dispatchDue(
  database: RequestDatabase,
  queue: Pick<Queue<unknown>, "sendBatch">,
  now: Date,
  limit = 500,
): Promise<number> {
  const { taken } = await database.read("platform", (db) => ({
    taken: read(
      takeDue(db, now, new Date(now.getTime() + HOLD_MS), limit),
      (raw) => (raw as unknown as { rows: Array<{ id: string; tenant_id: string; attempts: number }> }).rows,
    ),
  }));
  if (taken.length === 0) return 0;
  const messages = taken.map((row) => ({
    body: {
      type: "webhook",
      tenantId: row.tenant_id,
      deliveryId: row.id,
      attempt: row.attempts + 1,
    } satisfies WebhookMessage,
  }));
  // sendBatch takes at most 100 messages.
  for (let i = 0; i < messages.length; i += 100) await queue.sendBatch(messages.slice(i, i + 100));
  return taken.length;
}
