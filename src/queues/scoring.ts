/**
 * The scoring queue's consumer: bulk scoring chunks, prediction writes, and the rescreen of a tenant's
 * customers against a new sanctions list. Every message names its tenant; its work runs in that tenant's row-level
 * security scope, in batches over HTTP (no connection to open), a few of the batch's messages at once. Messages are idempotent (a chunk is counted once),
 * so a failure is simply retried; what still fails after the retries reaches the dead-letter queue, whose
 * consumer records the chunk's rows as failed so that the job still finishes.
 */
import { loadConfig } from "../config";
import type { Bindings } from "../env";
import { describeError, log } from "../logger";
import { scoringPoint, writePoint } from "../metrics";
import {
  abandonRescreen,
  type RescreenScope,
  rescreenPages,
} from "../services/compliance/sanctions-rescreen";
import { asLocalRequest, createServiceContext } from "../services/context";
import { requireSealing } from "../services/crypto/secrets-at-rest";
import { abandonChunk, type JobScope, scoreChunk } from "../services/risk/bulk-score";
import { type PredictionWrite, writeOnce } from "../services/risk/prediction-writes";
import { sendAttempt } from "../services/webhooks/sender";
import {
  chunkRequestId,
  type PredictionMessage,
  QueueMessageSchema,
  rescreenRequestId,
  type SanctionsRescreenMessage,
} from "./messages";

/** A queued prediction write as `writeOnce` takes it (the request built it; the queue only carried it). */
const writeOf = (message: PredictionMessage): PredictionWrite => ({
  row: { ...message.row, createdAt: new Date(String(message.row.createdAt)) } as PredictionWrite["row"],
  audit: message.audit as PredictionWrite["audit"],
  day: message.day,
});

/** How many of a batch's messages are handled at once. */
const CHUNKS_AT_ONCE = 2;

/** Whether a batch comes from the dead-letter queue (`finedge-scoring-dlq`, `-dlq-dev`). */
export const isDeadLetterQueue = (queue: string) => /-dlq(-|$)/.test(queue);

export async function handleScoringBatch(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const deadLetter = isDeadLetterQueue(batch.queue);
  const context = createServiceContext(env, config);
  const { database } = context;
  // A failed message is logged and retried with exponential back-off (at most a minute).
  const retry = (message: Message<unknown>, error: unknown, fields: Record<string, unknown>) => {
    log(config.LOG_LEVEL, "error", {
      ...fields,
      queue: batch.queue,
      attempts: message.attempts,
      error: describeError(error),
    });
    message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
  };
  const rescreen = async (abandon: boolean, data: SanctionsRescreenMessage, id: string) => {
    const scope: RescreenScope = {
      tenantId: data.tenantId,
      database,
      files: context.files,
      sealing: requireSealing(await context.secretsAtRest()),
      queue: context.scoringQueue,
      requestId: `queue-${id}`,
    };
    if (abandon) await abandonRescreen(scope, data, "every delivery of a page failed");
    else await rescreenPages(scope, data);
  };
  const handle = async (message: Message<unknown>) => {
    const parsed = QueueMessageSchema.safeParse(message.body);
    if (!parsed.success || !database.configured) {
      // Retrying cannot fix a malformed message (or a Worker without a database): drop it, loudly.
      log(config.LOG_LEVEL, "error", { msg: "scoring message dropped", queue: batch.queue, id: message.id });
      message.ack();
      return;
    }
    if (parsed.data.type === "prediction") {
      const { data } = parsed;
      try {
        await database.read({ tenantId: data.tenantId }, (db) => writeOnce(db, writeOf(data)));
        message.ack();
      } catch (error) {
        retry(message, error, { msg: "prediction write failed; retrying", prediction: data.row.id });
      }
      return;
    }
    if (parsed.data.type === "webhook") {
      const { data } = parsed;
      if (deadLetter) {
        // Every delivery of this message failed to run (not a receiver's refusal: those are recorded and
        // retried by the sender). The delivery's hold lapses and the sweep sends it again.
        log(config.LOG_LEVEL, "error", { msg: "webhook attempt abandoned", delivery: data.deliveryId });
        message.ack();
        return;
      }
      try {
        await sendAttempt(
          {
            database,
            sealing: requireSealing(await context.secretsAtRest()),
            queue: context.scoringQueue,
            mailer: () => context.mailer(),
            now: context.now,
            timeoutMs: config.WEBHOOK_TIMEOUT_MS,
            local: config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test",
            logLevel: config.LOG_LEVEL,
          },
          data,
        );
        message.ack();
      } catch (error) {
        retry(message, error, { msg: "webhook attempt failed to run; retrying", delivery: data.deliveryId });
      }
      return;
    }
    if (parsed.data.type === "sanctions_rescreen") {
      const { data } = parsed;
      try {
        await asLocalRequest(config, rescreenRequestId(data.listId, data.after?.i), () =>
          rescreen(deadLetter, data, message.id),
        );
        message.ack();
      } catch (error) {
        retry(message, error, { msg: "sanctions rescreen failed; retrying", list: data.listId });
      }
      return;
    }
    const { data } = parsed;
    const scope: JobScope = { tenantId: data.tenantId, database, now: context.now };
    const { jobId, chunk } = data;
    try {
      const started = performance.now();
      // Locally, the chunk's database calls are counted under its own name.
      await asLocalRequest(config, chunkRequestId(jobId, chunk), () =>
        (deadLetter ? abandonChunk : scoreChunk)(scope, context, data),
      );
      message.ack();
      if (!deadLetter) {
        const point = scoringPoint(data.tenantId, data.rows, performance.now() - started, config.ENVIRONMENT);
        writePoint(env.METRICS, point, config.LOG_LEVEL);
      }
    } catch (error) {
      retry(message, error, {
        msg: "scoring message failed; retrying",
        chunk,
        jobId,
      });
    }
  };
  try {
    // A few of the batch's messages at a time: one chunk's reading, writing and database calls wait while
    // another's rows are scored (inference itself runs one call at a time per model), and no more chunks'
    // rows are held in the isolate's memory than keep it busy.
    const messages = batch.messages;
    let next = 0;
    const lane = async () => {
      while (next < messages.length) await handle(messages[next++] as Message<unknown>);
    };
    await Promise.all(Array.from({ length: Math.min(CHUNKS_AT_ONCE, messages.length) }, lane));
  } finally {
    await database.close();
  }
}
