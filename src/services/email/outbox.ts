/**
 * Delivery through the outbox: a message is written before it is sent, so a provider outage delays it
 * instead of losing it, and a later drain retries it. Delivery is at-least-once; the row id travels as the
 * provider's idempotency key so a retry after a lost acknowledgement is not sent twice.
 *
 * Bodies carry single-use links (reset, sign-in, verification, invitation), so the outbox never keeps one
 * readable: a body is sealed (AES-GCM, bound to its row id) before it is written and opened only to hand
 * it to the provider or to the local mailbox. Rows written before sealing are read as they are.
 */

import { read } from "../../db/batch";
import type { Database, Querier, RequestDatabase } from "../../db/client";
import {
  enqueueEmail,
  enqueueEmailStatement,
  markFailed,
  markFailedStatement,
  markSent,
  markSentStatement,
  type OutboxMessage,
  pendingEmails,
} from "../../db/repositories/outbox.repository";
import { openOrPlain, type SealingKeys, seal } from "../crypto/sealed";
import { outboxBodyContext, requireSealing } from "../crypto/secrets-at-rest";
import type { EmailSender } from "./senders";
import { type EmailData, type EmailTemplate, renderEmail } from "./templates";

/** Where messages go, and the keys that seal their bodies in the outbox. */
export interface Mailer {
  sender: EmailSender;
  /** Null only in a local run started without keys: sending then answers 503 rather than store plaintext. */
  sealing: SealingKeys | null;
}

/** A stored body as text: sealed bodies are opened with their row id, older plaintext ones pass through. */
export function openOutboxBody(
  sealing: SealingKeys | null,
  row: { id: string; bodyText: string },
): Promise<string> {
  return openOrPlain(requireSealing({ sealing }), row.bodyText, outboxBodyContext(row.id));
}

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
  const failure = await sendOne(sender, row);
  if (failure === undefined) await markSent(db, row.id, now());
  else await markFailed(db, row.id, failure);
  return failure === undefined;
}

/** Hands a message to the provider: undefined when it took it, else what went wrong. */
async function sendOne(
  sender: EmailSender,
  row: { id: string; to: string; subject: string; bodyText: string },
): Promise<string | undefined> {
  try {
    await sender.send({ to: row.to, subject: row.subject, bodyText: row.bodyText, idempotencyKey: row.id });
    return undefined;
  } catch (error) {
    return describeFailure(error);
  }
}

/**
 * Sends up to `limit` pending messages through the mailer's sender, marking each sent or failed. A body
 * that cannot be opened (its key left the ring, or it was altered) counts as a failed attempt, so it is
 * reported on the row and given up after the last attempt rather than blocking the queue.
 */
export async function deliverPending(
  db: Database,
  mailer: Mailer,
  { limit = 20, now = () => new Date() }: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, failed: 0 };
  const sealing = requireSealing(mailer);
  // One at a time: a request's connection runs one query at a time anyway, and the provider rate-limits.
  for (const row of await pendingEmails(db, limit)) {
    let bodyText: string;
    try {
      bodyText = await openOutboxBody(sealing, row);
    } catch (error) {
      await markFailed(db, row.id, describeFailure(error));
      result.failed += 1;
      continue;
    }
    const delivered = await attempt(
      db,
      mailer.sender,
      { id: row.id, to: row.toAddress, subject: row.subject, bodyText },
      now,
    );
    result[delivered ? "sent" : "failed"] += 1;
  }
  return result;
}

/**
 * Queues a message (its body sealed) and tries to deliver it at once. A sender failure is recorded on the
 * row and left for the next drain, never thrown: an e-mail outage must not fail a sign-in. Database errors
 * do propagate.
 */
export async function sendEmail(
  db: Database,
  mailer: Mailer,
  message: OutboxMessage<EmailTemplate>,
  { now = () => new Date() }: Pick<DeliveryOptions, "now"> = {},
): Promise<{ id: string; sent: boolean }> {
  // The id is chosen here so the sealed body can name its row; the insert stays one round trip.
  const id = crypto.randomUUID();
  const sealed = await seal(requireSealing(mailer), message.bodyText, outboxBodyContext(id));
  await enqueueEmail(db, { ...message, id, bodyText: sealed });
  const sent = await attempt(db, mailer.sender, { id, ...message }, now);
  return { id, sent };
}

/**
 * A message to queue as a statement of the caller's own write (its body sealed, its id chosen here), and its
 * delivery to attempt once that write has committed - after the response, so a distant caller does not wait
 * on the provider; the attempt's outcome is marked in one call. A sender failure is recorded on the row and
 * left for the next drain.
 */
export async function queuedEmail(
  mailer: Mailer,
  message: OutboxMessage<EmailTemplate>,
  { now = () => new Date() }: Pick<DeliveryOptions, "now"> = {},
) {
  const id = crypto.randomUUID();
  const sealed = await seal(requireSealing(mailer), message.bodyText, outboxBodyContext(id));
  return {
    statement: (db: Querier) => enqueueEmailStatement(db, { ...message, id, bodyText: sealed }),
    deliver: async (database: RequestDatabase) => {
      const failure = await sendOne(mailer.sender, { id, ...message });
      await database.read("platform", (db) => ({
        mark: read(
          failure === undefined ? markSentStatement(db, id, now()) : markFailedStatement(db, id, failure),
        ),
      }));
    },
  };
}

/**
 * A templated message to an account's own address, queued as a statement of the caller's write (see
 * `queuedEmail`): the notices of security changes.
 */
export async function queuedNotice<T extends EmailTemplate>(
  ctx: { mailer: () => Promise<Mailer>; now: () => Date },
  to: { id: string; tenantId: string; email: string },
  template: T,
  data: EmailData[T],
) {
  return queuedEmail(
    await ctx.mailer(),
    { tenantId: to.tenantId, userId: to.id, to: to.email, template, ...renderEmail(template, data) },
    { now: ctx.now },
  );
}
