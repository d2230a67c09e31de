import { and, asc, eq, gt, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database, Querier, Transaction } from "../client";
import { scoringJobChunks, scoringJobErrors, scoringJobs } from "../tables/risk";
import { keyset, type TimePosition } from "./keyset";

export type JobRow = typeof scoringJobs.$inferSelect;
export type NewJob = typeof scoringJobs.$inferInsert;
export type JobErrorRow = typeof scoringJobErrors.$inferSelect;

const page = keyset(scoringJobs.createdAt, scoringJobs.id);
const ofTenant = (tenantId: string, id: string) =>
  and(eq(scoringJobs.tenantId, tenantId), eq(scoringJobs.id, id)) as SQL;

/** The tenant's job; `lock` serialises the chunk and split transactions that move its counters. */
export async function findJob(tx: Transaction, tenantId: string, id: string, lock = false) {
  const query = jobById(tx, tenantId, id);
  const [row] = lock ? await query.for("update") : await query;
  return row;
}

/** The job with this id (a list of one row, or none). */
export function jobById(db: Querier, tenantId: string, id: string) {
  return db.select().from(scoringJobs).where(ofTenant(tenantId, id)).limit(1);
}

export function listJobs(
  tx: Querier,
  tenantId: string,
  options: { before?: TimePosition | undefined; limit: number },
) {
  const conditions: SQL[] = [eq(scoringJobs.tenantId, tenantId)];
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select()
    .from(scoringJobs)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** Sets some of the job's fields (counters are passed as SQL increments by the callers). */
export async function updateJob(
  tx: Transaction,
  tenantId: string,
  id: string,
  fields: Partial<Record<keyof NewJob, unknown>>,
): Promise<void> {
  await tx
    .update(scoringJobs)
    .set(fields as Partial<NewJob>)
    .where(ofTenant(tenantId, id));
}

/**
 * Settles the status once every chunk is in (the totals are known only after the split): `completed`,
 * `partially_failed`, or `failed` when no row could be scored - a job of no rows as soon as it is recorded.
 */
export function settleJobStatement(db: Querier, tenantId: string, id: string) {
  return db
    .update(scoringJobs)
    .set({
      status: sql`case when ${scoringJobs.rowsFailed} = 0 then 'completed'
        when ${scoringJobs.rowsScored} = 0 then 'failed' else 'partially_failed' end`,
      completedAt: sql`now()`,
    })
    .where(
      and(
        ofTenant(tenantId, id),
        sql`${scoringJobs.status} in ('queued', 'running')`,
        sql`${scoringJobs.chunksTotal} is not null and ${scoringJobs.chunksDone} >= ${scoringJobs.chunksTotal}`,
      ),
    );
}

/** The job under the Idempotency-Key; with `since`, only while its key is live (submitted at or after it). */
export function jobByKey(db: Querier, tenantId: string, key: string, since?: Date) {
  return db
    .select()
    .from(scoringJobs)
    .where(
      and(
        eq(scoringJobs.tenantId, tenantId),
        eq(scoringJobs.idempotencyKey, key),
        since ? gte(scoringJobs.createdAt, since) : undefined,
      ),
    )
    .limit(1);
}

/** Gives up an Idempotency-Key whose job was submitted before `before`: the key may name a new job. */
export function releaseExpiredKey(db: Querier, tenantId: string, key: string, before: Date) {
  return db
    .update(scoringJobs)
    .set({ idempotencyKey: null, requestSha256: null })
    .where(
      and(
        eq(scoringJobs.tenantId, tenantId),
        eq(scoringJobs.idempotencyKey, key),
        lt(scoringJobs.createdAt, before),
      ),
    );
}

/** The chunk of the job, if recorded (a list of one row, or none). */
export function chunkById(db: Querier, tenantId: string, jobId: string, chunk: number) {
  return db
    .select({ chunk: scoringJobChunks.chunk })
    .from(scoringJobChunks)
    .where(
      and(
        eq(scoringJobChunks.tenantId, tenantId),
        eq(scoringJobChunks.jobId, jobId),
        eq(scoringJobChunks.chunk, chunk),
      ),
    )
    .limit(1);
}

/** A page of a job's row errors in row order, after row `after`. */
export function listJobErrors(
  tx: Querier,
  tenantId: string,
  jobId: string,
  options: { after: number; limit: number },
) {
  return tx
    .select()
    .from(scoringJobErrors)
    .where(
      and(
        eq(scoringJobErrors.tenantId, tenantId),
        eq(scoringJobErrors.jobId, jobId),
        gt(scoringJobErrors.row, options.after),
      ),
    )
    .orderBy(asc(scoringJobErrors.row))
    .limit(options.limit);
}

/** Queued or running jobs of any tenant that have not moved since `before`, longest still first (platform scope). */
export async function findStalledJobs(db: Database, before: Date, limit: number) {
  return db
    .select({ id: scoringJobs.id, tenantId: scoringJobs.tenantId })
    .from(scoringJobs)
    .where(and(inArray(scoringJobs.status, ["queued", "running"]), lt(scoringJobs.updatedAt, before)))
    .orderBy(asc(scoringJobs.updatedAt))
    .limit(limit);
}

/** The chunks of a job already recorded. */
export async function recordedChunks(tx: Transaction, tenantId: string, jobId: string): Promise<Set<number>> {
  const rows = await tx
    .select({ chunk: scoringJobChunks.chunk })
    .from(scoringJobChunks)
    .where(and(eq(scoringJobChunks.tenantId, tenantId), eq(scoringJobChunks.jobId, jobId)));
  return new Set(rows.map((r) => r.chunk));
}
