/**
 * A bulk submission's file received: streamed to R2 under the id its job will have, its chunks planned (and,
 * under an Idempotency-Key, its digest taken) on the way; a file that cannot be scored is refused.
 */
import { AppError } from "../../errors";
import type { RiskServices } from "../context";
import type { TenantContext } from "../tenancy/context";
import { type ChunkPlan, ChunkPlanner } from "./bulk-chunks";
import type { BulkFormat } from "./bulk-format";
import { submissionDigest, UploadDigest } from "./bulk-idempotency";
import { storeUpload } from "./bulk-upload";
import { inputKey } from "./jobs";

const emptyUpload = (message: string) =>
  new AppError("validation_failed", `The upload cannot be scored: ${message}.`, {
    errors: [{ location: "body", pointer: "", message, code: "invalid_upload" }],
  });

export interface BulkSubmission {
  format: BulkFormat;
  body: ReadableStream<Uint8Array> | null;
  contentLength: number | null;
  model: string;
  modelVersion?: string | undefined;
  /** The client's Idempotency-Key, already checked for shape. */
  idempotencyKey?: string | undefined;
}

export const digestParts = (submission: BulkSubmission, fileSha256: string) => ({
  format: submission.format,
  model: submission.model,
  modelVersion: submission.modelVersion ?? null,
  fileSha256,
});

/** The body to store; a request without one (or declared empty) has no rows to score. */
export function requireBody(submission: BulkSubmission): ReadableStream<Uint8Array> {
  if (!submission.body || submission.contentLength === 0) throw emptyUpload("no rows");
  return submission.body;
}

/** An upload in FILES under the id its job will have, with the job's chunks planned. */
export interface ReceivedUpload {
  id: string;
  key: string;
  bytes: number;
  /** CSV: the header's column names; NDJSON: null. */
  columns: string[] | null;
  rows: number;
  chunks: ChunkPlan[];
  /** Under an Idempotency-Key: the digest a retry is compared with; otherwise null. */
  requestSha256: string | null;
}

/**
 * Streams the file to R2, planning its chunks (and hashing it, under a key) on the way. A CSV whose header
 * cannot be used is deleted again and refused.
 */
export async function receiveUpload(
  ctx: TenantContext,
  deps: RiskServices,
  submission: BulkSubmission,
  body: ReadableStream<Uint8Array>,
): Promise<ReceivedUpload> {
  const id = crypto.randomUUID();
  const key = inputKey(ctx.tenantId, id, submission.format);
  const planner = new ChunkPlanner(submission.format, deps.config.BULK_CHUNK_ROWS);
  const digest = submission.idempotencyKey === undefined ? null : new UploadDigest();
  const bytes = await storeUpload(deps.files, key, body, {
    contentLength: submission.contentLength,
    limit: deps.config.MAX_BULK_BYTES,
    contentType: submission.format === "csv" ? "text/csv" : "application/x-ndjson",
    observe: (piece) => {
      planner.push(piece);
      digest?.push(piece);
    },
  });
  planner.end();
  const header = planner.columns();
  if ("problem" in header) {
    await deps.files.delete(key);
    throw emptyUpload(header.problem);
  }
  const requestSha256 = digest
    ? await submissionDigest(ctx, digestParts(submission, await digest.hex()))
    : null;
  return {
    id,
    key,
    bytes,
    columns: header.columns,
    rows: planner.rows,
    chunks: planner.chunks,
    requestSha256,
  };
}
