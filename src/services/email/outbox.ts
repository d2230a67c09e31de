/**
 * Delivery through the outbox: a message is written before it is sent, so a provider outage delays it
 * instead of losing it, and a later drain retries it. Delivery is at-least-once; the row id travels as the
 * provider's idempotency key so a retry after a lost acknowledgement is not sent twice.
 */

import type { Database } from "../../db/client";
import {
  enqueueEmail,
  markFailed,
  markSent,
  type OutboxMessage,
  pendingEmails,
} from "../../db/repositories/outbox.repository";
import type { EmailSender } from "./senders";

/** Options of a drain. */
export interface DeliveryOptions {
  /** Messages taken in one drain, oldest first. */
  limit?: number;
  now?: () => Date;
}

/** What a drain did: deliveries accepted by the provider, and attempts that failed (and will be retried). */
export interface DeliveryResult {
  sent: number;
  failed: number;
}

const describeFailure = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * One attempt. Only the sender's failure is recorded on the row; a database failure while recording
 * propagates, because it is not the provider's fault and the row must not be counted as an attempt.
 */
async function attempt(
  db: Database,
  sender: EmailSender,
  row: { id: string; to: string; subject: string; bodyText: string },
  now: () => Date,
): Promise<boolean> {
  try {
    await sender.send({ to: row.to, subject: row.subject, bodyText: row.bodyText, idempotencyKey: row.id });
  } catch (error) {
    await markFailed(db, row.id, describeFailure(error));
    return false;
  }
  await markSent(db, row.id, now());
  return true;
}

/** Sends up to `limit` pending messages through `sender`, marking each sent or failed. */
export async function deliverPending(
  db: Database,
  sender: EmailSender,
  { limit = 20, now = () => new Date() }: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, failed: 0 };
  // One at a time: a request's connection runs one query at a time anyway, and the provider rate-limits.
  for (const row of await pendingEmails(db, limit)) {
    const delivered = await attempt(db, sender, { ...row, to: row.toAddress }, now);
    result[delivered ? "sent" : "failed"] += 1;
  }
  return result;
}

/**
 * Queues a message and tries to deliver it at once. A sender failure is recorded on the row and left for
 * the next drain, never thrown: an e-mail outage must not fail a sign-in. Database errors do propagate.
 */
export async function sendEmail(
  db: Database,
  sender: EmailSender,
  message: OutboxMessage,
  { now = () => new Date() }: Pick<DeliveryOptions, "now"> = {},
): Promise<{ id: string; sent: boolean }> {
  const { id } = await enqueueEmail(db, message);
  const sent = await attempt(db, sender, { id, ...message }, now);
  return { id, sent };
}
