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
