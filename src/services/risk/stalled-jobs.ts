/**
 * Bulk jobs whose chunks went missing. A queue delivers what it accepted at least once, but a chunk can
 * still be lost outside that promise - locally, `wrangler dev` drops the queue it held in memory when it
 * reloads - and nothing else would ever finish such a job. The cron trigger gives every queued or
 * running job that has not moved for BULK_STALL_SECONDS its unrecorded chunks again, planned afresh from
 * the upload in R2. A chunk that was only slow is harmless to send twice: a chunk counts once.
 */
import type { RequestDatabase } from "../../db/client";
import {
  findJob,
  findStalledJobs,
  recordedChunks,
  updateJob,
} from "../../db/repositories/scoring-jobs.repository";
import { describeError, log } from "../../logger";
import type { RiskServices } from "../context";
import { ChunkPlanner } from "./bulk-chunks";
import { queueChunks } from "./jobs";

/** Jobs looked at per run: each may mean reading its whole upload back. */
const JOBS_PER_RUN = 20;

export interface ResumeResult {
  jobs: number;
  chunks: number;
}

/** A job that can never finish: its upload is gone or is no longer the one it was accepted with. */
class Unresumable extends Error {}

async function resumeJob(database: RequestDatabase, deps: RiskServices, tenantId: string, jobId: string) {
  const job = await database.tenant(tenantId, (tx) => findJob(tx, tenantId, jobId));
  if (!job || (job.status !== "queued" && job.status !== "running")) return 0;
  const object = await deps.files.get(job.inputKey);
  if (!object) throw new Unresumable("its upload is missing");
  const planner = new ChunkPlanner(job.inputFormat, job.chunkRows ?? deps.config.BULK_CHUNK_ROWS);
  for await (const piece of object.body as unknown as AsyncIterable<Uint8Array>) planner.push(piece);
  planner.end();
  // The split must be the one the job was accepted with, or chunk numbers would mean other rows.
  if (planner.chunks.length !== job.chunksTotal || planner.rows !== job.rowsTotal) {
    throw new Unresumable("its upload no longer splits as it did when the job was accepted");
  }
  const done = await database.tenant(tenantId, (tx) => recordedChunks(tx, tenantId, jobId));
  const missing = planner.chunks.filter((plan) => !done.has(plan.chunk));
  await queueChunks(deps, tenantId, jobId, missing);
  // Moved, as far as the next run is concerned: it waits another BULK_STALL_SECONDS before sending again.
  await database.tenant(tenantId, (tx) => updateJob(tx, tenantId, jobId, { error: null }));
  return missing.length;
}

export async function resumeStalledJobs(
  database: RequestDatabase,
  deps: RiskServices,
  now: Date,
  limit = JOBS_PER_RUN,
): Promise<ResumeResult> {
  const before = new Date(now.getTime() - deps.config.BULK_STALL_SECONDS * 1000);
  const stalled = await findStalledJobs(database.db, before, limit);
  const result: ResumeResult = { jobs: 0, chunks: 0 };
  for (const { id, tenantId } of stalled) {
    try {
      const sent = await resumeJob(database, deps, tenantId, id);
      result.jobs += 1;
      result.chunks += sent;
      log(deps.config.LOG_LEVEL, "warn", {
        msg: "stalled bulk job resumed",
        jobId: id,
        tenantId,
        chunks: sent,
      });
    } catch (error) {
      log(deps.config.LOG_LEVEL, "error", {
        msg: "stalled bulk job could not be resumed",
        jobId: id,
        tenantId,
        error: describeError(error),
      });
      // Either way the job is touched, so the oldest jobs that cannot move do not take every run's turn: one
      // that never can fails with the reason; after any other error it waits for a later run.
      const permanent = error instanceof Unresumable;
      await database
        .tenant(tenantId, (tx) =>
          updateJob(
            tx,
            tenantId,
            id,
            permanent
              ? { status: "failed", error: `the job cannot be resumed: ${error.message}`, completedAt: now }
              : { error: "a stalled job sweep could not resume it; a later one will try again" },
          ),
        )
        .catch((failure: unknown) =>
          log(deps.config.LOG_LEVEL, "error", {
            msg: "stalled bulk job not updated",
            jobId: id,
            error: describeError(failure),
          }),
        );
    }
  }
  return result;
}
