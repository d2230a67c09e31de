/**
 * Sends one attempt of a webhook delivery (the queue consumer's part). The attempt is taken first - only the
 * copy of a message that finds the delivery at the attempt before wins, so a message delivered twice sends once -
 * in the same round trip that reads the delivery, its event, its endpoint and the tenant's admins. The body is
 * signed (signing.ts) and posted to the endpoint, checked again as a target, without following redirects; then one
 * batch records the attempt (status, duration, the answer's first 500 characters), the delivery's new state - sent;
 * due again after its back-off (schedule.ts), with the next attempt's message queued with that delay; or failed,
 * three days after the event - and the endpoint's record: an endpoint failing for three days is disabled and its
 * tenant's admins are e-mailed and the act audited.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { claimAttempt, deliveryById } from "../../db/repositories/webhooks.repository";
import { users, webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema";
import type { LogLevel } from "../../logger";
import type { WebhookMessage } from "../../queues/messages";
import { open, type SealingKeys } from "../crypto/sealed";
import { webhookSecretContext } from "../crypto/secrets-at-rest";
import { type Mailer, queuedEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { failingTooLong, MAX_QUEUE_DELAY_S, outOfRetries, retryDelaySeconds } from "./schedule";
import { SIGNATURE_HEADER, signatureOf } from "./signing";
import { targetProblem } from "./targets";

export interface SenderDeps {
  database: RequestDatabase;
  sealing: SealingKeys;
  queue: Pick<Queue<unknown>, "send">;
  mailer: () => Promise<Mailer>;
  now: () => Date;
  timeoutMs: number;
  /** Local development and tests: http and local receivers allowed. */
  local: boolean;
  logLevel: LogLevel;
  fetcher?: typeof fetch;
}

type Outcome = { statusCode: number | null; error: string | null; excerpt: string | null; ms: number };

async function post(
  deps: SenderDeps,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<Outcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const response = await (deps.fetcher ?? fetch)(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    const text = await response.text().catch(() => "");
    const redirected = response.status >= 300 && response.status < 400;
    return {
      statusCode: response.status,
      error: redirected ? "redirects are not followed" : null,
      excerpt: text.slice(0, 500) || null,
      ms: ms(),
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      statusCode: null,
      error: timedOut
        ? `no answer within ${deps.timeoutMs} ms`
        : `not reached: ${(error as Error).message}`.slice(0, 300),
      excerpt: null,
      ms: ms(),
    };
  }
}

/** Sends attempt `message.attempt` of its delivery; what became of it. */
export async function sendAttempt(
  deps: SenderDeps,
  message: WebhookMessage,
): Promise<"skipped" | "succeeded" | "retrying" | "failed"> {
  const { tenantId, deliveryId, attempt } = message;
  const startedAt = deps.now();
  const found = await deps.database.read({ tenantId }, (db) => ({
    claimed: read(
      claimAttempt(db, tenantId, deliveryId, attempt, new Date(startedAt.getTime() + 120_000)),
      (r) => r[0],
    ),
    row: read(deliveryById(db, tenantId, deliveryId), (rows) => rows[0]),
    admins: read(
      db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), eq(users.role, "tenant_admin"), eq(users.status, "active"))),
    ),
  }));
  if (!found.claimed || !found.row) return "skipped";
  const { event, endpoint, delivery } = found.row;
  const body = JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: event.createdAt.toISOString(),
    tenant_id: tenantId,
    data: event.data,
  });
  const problem =
    endpoint.status !== "enabled" ? "the endpoint is disabled" : targetProblem(endpoint.url, deps.local);
  const outcome: Outcome = problem
    ? { statusCode: null, error: problem, excerpt: null, ms: 0 }
    : await post(
        deps,
        endpoint.url,
        {
          "content-type": "application/json",
          "user-agent": "FinEdge-Webhooks/1",
          "finedge-event-id": event.id,
          "finedge-event-type": event.type,
          "finedge-delivery-id": delivery.id,
          [SIGNATURE_HEADER]: await signatureOf(
            await open(deps.sealing, endpoint.secretSealed, webhookSecretContext(endpoint.id)),
            body,
            deps.now(),
          ),
        },
        body,
      );
  const now = deps.now();
  const succeeded = outcome.error === null && outcome.statusCode !== null && outcome.statusCode < 300;
  const final = succeeded || endpoint.status !== "enabled" || outOfRetries(delivery.createdAt, now);
  const delay = retryDelaySeconds(attempt);
  const nextAt = new Date(now.getTime() + delay * 1000);
  const disable = !succeeded && endpoint.status === "enabled" && failingTooLong(endpoint.failingSince, now);
  const emails = disable
    ? await Promise.all(
        found.admins.map(async (admin) =>
          queuedEmail(await deps.mailer(), {
            tenantId,
            userId: admin.id,
            to: admin.email,
            template: "webhook_disabled",
            ...renderEmail("webhook_disabled", {
              url: endpoint.url,
              failingSince: endpoint.failingSince ?? now,
              at: now,
            }),
          }),
        ),
      )
    : [];
  await deps.database.read({ tenantId }, (db) => ({
    attempt: read(
      db.insert(webhookAttempts).values({
        tenantId,
        deliveryId,
        attempt,
        startedAt,
        durationMs: outcome.ms,
        statusCode: outcome.statusCode,
        error: outcome.error ?? (succeeded ? null : `answered ${outcome.statusCode}`),
        responseExcerpt: outcome.excerpt,
      }),
    ),
    delivery: read(
      db
        .update(webhookDeliveries)
        .set({
          status: succeeded ? "succeeded" : final ? "failed" : "pending",
          deliveredAt: succeeded ? now : null,
          nextAttemptAt: final ? null : nextAt,
          // Held for the queued retry; if its message is lost, the sweep sends it a little later.
          claimedUntil: final ? null : new Date(nextAt.getTime() + 300_000),
          lastStatusCode: outcome.statusCode,
          lastError: succeeded ? null : (outcome.error ?? `answered ${outcome.statusCode}`),
        })
        .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.id, deliveryId))),
    ),
    ...(endpoint.status === "enabled"
      ? {
          endpoint: read(
            db
              .update(webhookEndpoints)
              .set(
                succeeded
                  ? { failingSince: null }
                  : disable
                    ? { status: "disabled", disabledReason: "every delivery failed for three days" }
                    : { failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now})` },
              )
              .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, endpoint.id))),
          ),
        }
      : {}),
    ...(disable
      ? {
          audit: read(
            auditEventStatement(db, {
              tenantId,
              actorType: "system",
              actorId: null,
              action: "webhook_endpoint.disabled",
              resourceType: "webhook_endpoint",
              resourceId: endpoint.id,
              summary: {
                after: {
                  reason: "every delivery failed for three days",
                  failingSince: endpoint.failingSince,
                },
              },
              requestId: null,
              ip: null,
            }),
          ),
          ...Object.fromEntries(emails.map((email, i) => [`email${i}`, read(email.statement(db))])),
        }
      : {}),
  }));
  if (!final) {
    await deps.queue.send(
      { ...message, attempt: attempt + 1 },
      { delaySeconds: Math.min(delay, MAX_QUEUE_DELAY_S) },
    );
  }
  for (const email of emails) await email.deliver(deps.database).catch(() => undefined);
  return succeeded ? "succeeded" : final ? "failed" : "retrying";
}
