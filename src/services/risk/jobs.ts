/**
 * Bulk scoring jobs: the upload is streamed to R2 and split into chunks of rows on the way, then answered
 * at once (202); the queue scores each chunk in one batched inference call (src/queues/scoring.ts).
 */
import {
  findJob,
  insertJob,
  type JobRow,
  listJobs as listRows,
  settleJob,
  updateJob,
} from "../../db/repositories/scoring-jobs.repository";
import { AppError } from "../../errors";
import { log } from "../../logger";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { type ChunkPlan, ChunkPlanner } from "./bulk-chunks";
import type { BulkFormat } from "./bulk-format";
import { storeUpload } from "./bulk-upload";
import type { RiskDeps } from "./deps";
import { requireQuotaLeft } from "./quota";
import { servingModel } from "./scoring";

export const jobNotFound = () => new AppError("not_found", "No such job.");
const emptyUpload = (message: string) =>
  new AppError("validation_failed", `The upload cannot be scored: ${message}.`, {
    errors: [{ location: "body", pointer: "", message, code: "invalid_upload" }],
  });

/** The FILES keys of a job's upload and of each chunk's results. */
export const inputKey = (tenantId: string, jobId: string, format: BulkFormat) =>
  `jobs/${tenantId}/${jobId}/input.${format}`;
export const resultKey = (tenantId: string, jobId: string, chunk: number) =>
  `jobs/${tenantId}/${jobId}/results/${String(chunk).padStart(6, "0")}.ndjson`;

export interface BulkSubmission {
  format: BulkFormat;
  body: ReadableStream<Uint8Array> | null;
  contentLength: number | null;
  model: string;
  modelVersion?: string | undefined;
}

const SEND_BATCH = 100;

/** Queues every chunk of a job (in batches of the queue's maximum). */
async function queueChunks(deps: RiskDeps, tenantId: string, jobId: string, chunks: ChunkPlan[]) {
  for (let at = 0; at < chunks.length; at += SEND_BATCH) {
    const batch = chunks.slice(at, at + SEND_BATCH);
    await deps.queue.sendBatch(
      batch.map((plan) => ({ body: { type: "score" as const, tenantId, jobId, ...plan } })),
    );
  }
}

/**
 * Accepts a bulk file of loan applications. The model is fixed now, so every chunk uses the same
 * version; the chunks are planned while the file streams to R2, so the job knows its size at once.
 */
export async function submitBulkJob(
  ctx: TenantContext,
  deps: RiskDeps,
  submission: BulkSubmission,
): Promise<JobRow> {
  if (!submission.body || submission.contentLength === 0) throw emptyUpload("no rows");
  const serving = await servingModel(ctx, deps, {
    name: submission.model,
    version: submission.modelVersion,
    kind: "credit",
  });
  await ctx.transaction((tx) => requireQuotaLeft(tx, ctx.tenantId, ctx.now(), deps.config));
  const id = crypto.randomUUID();
  const key = inputKey(ctx.tenantId, id, submission.format);
  const planner = new ChunkPlanner(submission.format, deps.config.BULK_CHUNK_ROWS);
  const bytes = await storeUpload(deps.files, key, submission.body, {
    contentLength: submission.contentLength,
    limit: deps.config.MAX_BULK_BYTES,
    contentType: submission.format === "csv" ? "text/csv" : "application/x-ndjson",
    observe: (piece) => planner.push(piece),
  });
  planner.end();
  const header = planner.columns();
  if ("problem" in header) {
    await deps.files.delete(key);
    throw emptyUpload(header.problem);
  }
  const { ref, sha256 } = serving.resolved.located;
  const job = await ctx.transaction(async (tx) => {
    await insertJob(tx, {
      id,
      tenantId: ctx.tenantId,
      inputFormat: submission.format,
      inputKey: key,
      inputBytes: bytes,
      columns: header.columns,
      rowsTotal: planner.rows,
      chunksTotal: planner.chunks.length,
      modelName: ref.name,
      modelVersion: ref.version,
      modelSha256: sha256,
      modelSource: serving.resolved.source,
      actorType: ctx.actor.type,
      actorId: ctx.actor.id,
    });
    await recordAudit(tx, ctx, {
      action: "job.submitted",
      resourceType: "scoring_job",
      resourceId: id,
      after: { format: submission.format, bytes, rows: planner.rows, model: `${ref.name}@${ref.version}` },
    });
    // A file with no rows is done as soon as it is accepted.
    await settleJob(tx, ctx.tenantId, id);
    return findJob(tx, ctx.tenantId, id) as Promise<JobRow>;
  });
  try {
    await queueChunks(deps, ctx.tenantId, id, planner.chunks);
  } catch (error) {
    log(deps.config.LOG_LEVEL, "error", {
      msg: "scoring queue refused a job",
      jobId: id,
      error: String(error),
    });
    await ctx.transaction((tx) =>
      updateJob(tx, ctx.tenantId, id, {
        status: "failed",
        error: "the scoring queue is unavailable",
        completedAt: ctx.now(),
      }),
    );
    throw new AppError("service_unavailable", "The scoring queue is unavailable; try again later.");
  }
  return job;
}

export async function getJob(ctx: TenantContext, id: string): Promise<JobRow> {
  const row = await ctx.transaction((tx) => findJob(tx, ctx.tenantId, id));
  if (!row) throw jobNotFound();
  return row;
}

export async function listJobs(ctx: TenantContext, options: { limit: number; cursor?: string | undefined }) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.transaction((tx) =>
    listRows(tx, ctx.tenantId, { before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}
