/**
 * The bulk scoring consumer. Every message names its tenant; its work runs in that tenant's row-level
 * security scope, on a connection opened for the batch. Messages are idempotent (a chunk is counted once),
 * so a failure is simply retried; what still fails after the retries reaches the dead-letter queue, whose
 * consumer records the chunk's rows as failed so that the job still finishes.
 */
import { loadConfig } from "../config";
import { RequestDatabase } from "../db/client";
import type { Bindings } from "../env";
import { describeError, log } from "../logger";
import { abandonChunk, type JobScope, scoreChunk } from "../services/risk/bulk-score";
import { riskDeps } from "../services/risk/deps";
import { ScoringMessageSchema } from "./messages";

/** Whether a batch comes from the dead-letter queue (`finedge-scoring-dlq`, `-dlq-dev`). */
export const isDeadLetterQueue = (queue: string) => /-dlq(-|$)/.test(queue);

export async function handleScoringBatch(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const deps = riskDeps(env, config);
  const deadLetter = isDeadLetterQueue(batch.queue);
  const database = config.DATABASE_URL
    ? new RequestDatabase({ url: config.DATABASE_URL, relay: config.WS_RELAY })
    : null;
  try {
    for (const message of batch.messages) {
      const parsed = ScoringMessageSchema.safeParse(message.body);
      if (!parsed.success || !database) {
        // Retrying cannot fix a malformed message (or a Worker without a database): drop it, loudly.
        log(config.LOG_LEVEL, "error", {
          msg: "scoring message dropped",
          queue: batch.queue,
          id: message.id,
        });
        message.ack();
        continue;
      }
      const { tenantId } = parsed.data;
      const scope: JobScope = {
        tenantId,
        transaction: (work) => database.tenant(tenantId, work),
        now: () => new Date(),
      };
      try {
        await (deadLetter ? abandonChunk : scoreChunk)(scope, deps, parsed.data);
        message.ack();
      } catch (error) {
        log(config.LOG_LEVEL, "error", {
          msg: "scoring message failed; retrying",
          queue: batch.queue,
          chunk: parsed.data.chunk,
          jobId: parsed.data.jobId,
          attempts: message.attempts,
          error: describeError(error),
        });
        message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
      }
    }
  } finally {
    await database?.close();
  }
}
