/**
 * Bulk scoring jobs: their storage keys, queueing their chunks (failing a job the queue refuses), reading,
 * listing and cancelling them. Submission - streaming the upload to R2 and recording the job - is in
 * job-submission.ts.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type JobErrorRow,
  type JobRow,
  jobById,
  listJobErrors,
  listJobs as listRows,
} from "../../db/repositories/scoring-jobs.repository";
import { asRead, requirement } from "../../db/requirements";
import { scoringJobs } from "../../db/tables/risk";
import { AppError } from "../../errors";
import { log } from "../../logger";
import type { RiskServices } from "../context";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import type { ChunkPlan } from "./bulk-chunks";
import type { BulkFormat } from "./bulk-format";

export const jobNotFound = () => new AppError("not_found", "No such job.");

/** What bulk files hold: loan applications, or annual statements (quarterly input spans eight rows). */
export const BULK_KINDS = ["credit", "annual"] as const;

/** The FILES keys of a job's upload and of each chunk's results. */
export const inputKey = (tenantId: string, jobId: string, format: BulkFormat) =>
  `jobs/${tenantId}/${jobId}/input.${format}`;
export const resultKey = (tenantId: string, jobId: string, chunk: number) =>
  `jobs/${tenantId}/${jobId}/results/${String(chunk).padStart(6, "0")}.ndjson`;

const SEND_BATCH = 100;

/** Queues every chunk of a job (in batches of the queue's maximum). */
export async function queueChunks(deps: RiskServices, tenantId: string, jobId: string, chunks: ChunkPlan[]) {
  for (let at = 0; at < chunks.length; at += SEND_BATCH) {
    const batch = chunks.slice(at, at + SEND_BATCH);
    await deps.scoringQueue.sendBatch(
      batch.map((plan) => ({ body: { type: "score" as const, tenantId, jobId, ...plan } })),
    );
  }
}

/** Queues the job's chunks; if the queue refuses them, the job fails and gives its key up (503). */
export async function enqueueJob(ctx: TenantContext, deps: RiskServices, job: JobRow, chunks: ChunkPlan[]) {
  try {
    await queueChunks(deps, ctx.tenantId, job.id, chunks);
  } catch (error) {
    log(deps.config.LOG_LEVEL, "error", {
      msg: "scoring queue refused a job",
      jobId: job.id,
      error: String(error),
    });
    await ctx.write("jobs:write", null, (db) => ({
      // The key is given up with the job, so a retry under it starts afresh.
      failed: read(
        db
          .update(scoringJobs)
          .set({
            status: "failed",
            error: "the scoring queue is unavailable",
            completedAt: ctx.now(),
            idempotencyKey: null,
            requestSha256: null,
          })
          .where(and(eq(scoringJobs.tenantId, ctx.tenantId), eq(scoringJobs.id, job.id))),
      ),
    }));
    throw new AppError("service_unavailable", "The scoring queue is unavailable; try again later.");
  }
}

/**
 * Stops a queued or running job: chunks still in the queue are dropped when they arrive, and the rows
 * scored so far stay in its results. Cancelling a cancelled job again changes nothing; a finished job
 * cannot be cancelled. Decided on one read (with the first `shown` of its row errors, which the answer
 * carries); written in one batch that holds only if the job is still open.
 */
export async function cancelJob(
  ctx: TenantContext,
  id: string,
  shown: number,
): Promise<{ job: JobRow; errors: JobErrorRow[] }> {
  return asRead("The job kept changing while this request was made; retry it.", async () => {
    const found = await jobErrors(ctx, id, { after: 0, limit: shown });
    const { job } = found;
    if (job.status === "cancelled") {
      // Nothing changes; the request is still on the record.
      const event = eventOf(ctx, {
        action: "job.cancel_repeated",
        resourceType: "scoring_job",
        resourceId: id,
        after: { status: job.status },
      });
      await ctx.write("jobs:write", null, (db) => ({ audit: read(auditEventStatement(db, event)) }));
      ctx.audited += 1;
      return found;
    }
    if (job.status !== "queued" && job.status !== "running") {
      throw new AppError(
        "conflict",
        `The job has already finished (${job.status}); there is nothing to cancel.`,
      );
    }
    const event = eventOf(ctx, {
      action: "job.cancelled",
      resourceType: "scoring_job",
      resourceId: id,
      before: { status: job.status, rows_scored: job.rowsScored, rows_failed: job.rowsFailed },
      after: { status: "cancelled" },
    });
    const theJob = and(eq(scoringJobs.tenantId, ctx.tenantId), eq(scoringJobs.id, id));
    const written = await ctx.write("jobs:write", null, (db) => ({
      // Still open: a job that finished meanwhile is decided again (and is then 409).
      open: read(
        requirement(
          db,
          sql`exists (select 1 from ${scoringJobs} where ${theJob}
                        and ${scoringJobs.status} in ('queued', 'running') for update)`,
          "stale",
        ),
      ),
      row: read(
        db.update(scoringJobs).set({ status: "cancelled", completedAt: ctx.now() }).where(theJob).returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
      errors: read(listJobErrors(db, ctx.tenantId, id, { after: 0, limit: shown })),
    }));
    ctx.audited += 1;
    return { job: written.row ?? job, errors: written.errors };
  });
}

/** A page of a job's row errors in row order, after row `after` (0: from the start). */
export async function jobErrors(
  ctx: TenantContext,
  id: string,
  options: { after: number; limit: number },
): Promise<{ job: JobRow; errors: JobErrorRow[] }> {
  const found = await ctx.read((db) => ({
    job: read(jobById(db, ctx.tenantId, id), (rows) => rows[0]),
    errors: read(listJobErrors(db, ctx.tenantId, id, options)),
  }));
  if (!found.job) throw jobNotFound();
  return { job: found.job, errors: found.errors };
}

export async function getJob(ctx: TenantContext, id: string): Promise<JobRow> {
  const [row] = await ctx.readOne((db) => jobById(db, ctx.tenantId, id));
  if (!row) throw jobNotFound();
  return row;
}

export async function listJobs(ctx: TenantContext, options: { limit: number; cursor?: string | undefined }) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) => listRows(db, ctx.tenantId, { before, limit: options.limit + 1 }));
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}
