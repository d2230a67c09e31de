import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Database, Querier } from "../client";
import { emailOutbox } from "../schema";

export type OutboxRow = typeof emailOutbox.$inferSelect;

/**
 * A message to queue; tenant and user link it to an account when there is one. `template` names the kind of
 * message (the e-mail service narrows it to its templates).
 */
export interface OutboxMessage<Template extends string = string> {
  tenantId?: string | null;
  userId?: string | null;
  to: string;
  template: Template;
  subject: string;
  bodyText: string;
}

/** Attempts after which a message stops being retried and is left as "failed". */
export const MAX_EMAIL_ATTEMPTS = 5;

/** Keeps a provider's error readable without letting one failure bloat the row. */
const MAX_ERROR_LENGTH = 500;

/**
 * Queues a message as "pending". `bodyText` is stored as given: the outbox service seals it first, under
 * associated data naming the row, so it passes the row's id chosen in advance.
 */
export async function enqueueEmail(
  db: Database,
  message: OutboxMessage & { id?: string },
): Promise<{ id: string }> {
  const [row] = await enqueueEmailStatement(db, message).returning({ id: emailOutbox.id });
  if (!row) throw new Error("outbox insert returned nothing");
  return row;
}

/** Queues a message as a statement of the caller's batch. */
export function enqueueEmailStatement(db: Querier, message: OutboxMessage & { id?: string }) {
  return db.insert(emailOutbox).values({
    ...(message.id ? { id: message.id } : {}),
    tenantId: message.tenantId ?? null,
    userId: message.userId ?? null,
    toAddress: message.to,
    template: message.template,
    subject: message.subject,
    bodyText: message.bodyText,
  });
}

/** Pending messages, oldest first. */
export async function pendingEmails(db: Database, limit: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(emailOutbox)
    .where(eq(emailOutbox.status, "pending"))
    .orderBy(asc(emailOutbox.createdAt))
    .limit(limit);
}

/** Records a delivery the provider accepted. */
export async function markSent(db: Database, id: string, at: Date): Promise<void> {
  await markSentStatement(db, id, at);
}

/** `markSent` as a statement of the caller's batch. */
export function markSentStatement(db: Querier, id: string, at: Date) {
  return db
    .update(emailOutbox)
    .set({ status: "sent", sentAt: at, attempts: sql`${emailOutbox.attempts} + 1` })
    .where(eq(emailOutbox.id, id));
}

/**
 * Records a failed attempt: the message stays "pending" for the next drain until it has failed
 * MAX_EMAIL_ATTEMPTS times, then becomes "failed". Computed in one statement so two concurrent drains
 * cannot lose an increment; a row already sent is left alone.
 */
export async function markFailed(db: Database, id: string, error: string): Promise<void> {
  await markFailedStatement(db, id, error);
}

/** `markFailed` as a statement of the caller's batch. */
export function markFailedStatement(db: Querier, id: string, error: string) {
  return db
    .update(emailOutbox)
    .set({
      attempts: sql`${emailOutbox.attempts} + 1`,
      status: sql`case when ${emailOutbox.attempts} + 1 >= ${MAX_EMAIL_ATTEMPTS} then 'failed' else 'pending' end`,
      lastError: error.slice(0, MAX_ERROR_LENGTH),
    })
    .where(and(eq(emailOutbox.id, id), eq(emailOutbox.status, "pending")));
}

/** The newest messages to one address, newest first (the local mailbox reads these). */
export async function latestEmailsTo(db: Database, to: string, limit = 20): Promise<OutboxRow[]> {
  return db
    .select()
    .from(emailOutbox)
    .where(eq(emailOutbox.toAddress, to))
    .orderBy(desc(emailOutbox.createdAt))
    .limit(limit);
}
