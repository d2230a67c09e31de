import { z } from "zod";

/** Score one chunk of a bulk job: `rows` records at bytes [offset, offset + length) of its upload. */
export const ScoringMessageSchema = z
  .object({
    type: z.literal("score"),
    tenantId: z.uuid(),
    jobId: z.uuid(),
    chunk: z.number().int().min(0),
    offset: z.number().int().min(0),
    length: z.number().int().min(1),
    firstRow: z.number().int().min(1),
    /** The upload's line the chunk starts on (messages queued before lines were counted have none). */
    firstLine: z.number().int().min(1).optional(),
    rows: z.number().int().min(1),
  })
  .strict();

export type ScoringMessage = z.infer<typeof ScoringMessageSchema>;

/**
 * Write a prediction that was answered but whose write after the response failed: the row and its audit
 * event as the request built them (ids and times chosen then), written once whatever the retries.
 */
export const PredictionMessageSchema = z
  .object({
    type: z.literal("prediction"),
    tenantId: z.uuid(),
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    row: z.record(z.string(), z.unknown()),
    audit: z.record(z.string(), z.unknown()),
  })
  .strict();

export type PredictionMessage = z.infer<typeof PredictionMessageSchema>;

/**
 * Rescreen a tenant's customers against its new sanctions list: the pages after `after` (none: from the
 * oldest customer), counting on from `screened` and `matched`.
 */
export const SanctionsRescreenMessageSchema = z
  .object({
    type: z.literal("sanctions_rescreen"),
    tenantId: z.uuid(),
    listId: z.uuid(),
    after: z.object({ t: z.iso.datetime(), i: z.uuid() }).strict().optional(),
    screened: z.number().int().min(0).optional(),
    matched: z.number().int().min(0).optional(),
  })
  .strict();

export type SanctionsRescreenMessage = z.infer<typeof SanctionsRescreenMessageSchema>;

/** Send attempt `attempt` of a webhook delivery (a copy finding it past that attempt does nothing). */
export const WebhookMessageSchema = z
  .object({
    type: z.literal("webhook"),
    tenantId: z.uuid(),
    deliveryId: z.uuid(),
    attempt: z.number().int().min(1),
  })
  .strict();

export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

/** Every message the scoring queue carries. */
export const QueueMessageSchema = z.discriminatedUnion("type", [
  ScoringMessageSchema,
  PredictionMessageSchema,
  SanctionsRescreenMessageSchema,
  WebhookMessageSchema,
]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** The queue's form of a prediction write (dates as ISO strings). */
export function predictionMessage(write: {
  row: { tenantId: string; createdAt: Date } & Record<string, unknown>;
  audit: object;
  day: string;
}): PredictionMessage {
  return {
    type: "prediction",
    tenantId: write.row.tenantId,
    day: write.day,
    row: { ...write.row, createdAt: write.row.createdAt.toISOString() },
    audit: { ...write.audit },
  };
}

/** The name a rescreen message's database calls are counted under locally. */
export const rescreenRequestId = (listId: string, after: string | undefined) =>
  `rescreen-${listId}-${after ?? "start"}`;

/** The name a chunk's database calls are counted under locally (the local servers count by request id). */
export const chunkRequestId = (jobId: string, chunk: number) => `chunk-${jobId}-${chunk}`;
