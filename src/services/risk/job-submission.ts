/**
 * Submitting a bulk scoring job: the upload is streamed to R2 and split into chunks of rows on the way, then
 * answered at once (202); the queue scores each chunk in one batched inference call (src/queues/scoring.ts).
 */
import { sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type JobRow,
  jobById,
  jobByKey,
  releaseExpiredKey,
  settleJobStatement,
} from "../../db/repositories/scoring-jobs.repository";
import { scoringJobs } from "../../db/tables/risk";
import { databaseJson } from "../../db/well-formed";
import type { RiskServices } from "../context";
import { auditEventJson, eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { digestOfBody, KEY_TTL_MS, replayOf, submissionDigest } from "./bulk-idempotency";
import {
  type BulkSubmission,
  digestParts,
  type ReceivedUpload,
  receiveUpload,
  requireBody,
} from "./job-upload";
import { BULK_KINDS, enqueueJob } from "./jobs";
import {
  type AdmissionRows,
  admissionStatements,
  admittedModel,
  loadServing,
  type ServingModel,
} from "./scoring";

/** A submission's job, and whether it was an earlier submission's (a retry under the same key). */
export interface Submitted {
  job: JobRow;
  replayed: boolean;
}

/** A retry answered with its job, audited as what it is. */
async function replay(ctx: TenantContext, job: JobRow, key: string): Promise<Submitted> {
  const event = eventOf(ctx, {
    action: "idempotency.replayed",
    resourceType: "scoring_job",
    resourceId: job.id,
    after: { idempotency_key: key },
  });
  await ctx.write("jobs:write", null, (db) => ({ audit: read(auditEventStatement(db, event)) }));
  ctx.audited += 1;
  return { job, replayed: true };
}

/**
 * The live job already accepted under the Idempotency-Key, if any (a job whose key has expired does not
 * count; recording the new job gives its key up), read in one batch with what admitting the model needs.
 */
async function liveJobUnderKey(ctx: TenantContext, submission: BulkSubmission, key: string) {
  const now = ctx.now();
  const since = new Date(now.getTime() - KEY_TTL_MS);
  const { job, ...found } = await ctx.read((db) => ({
    job: read(jobByKey(db, ctx.tenantId, key, since), (rows) => rows[0]),
    ...admissionStatements(db, ctx.tenantId, submission.model, now),
  }));
  return { job, found };
}

/** A retry of a job already accepted under its key: the same job, once the file is seen to be the same. */
async function replayEarlier(
  ctx: TenantContext,
  deps: RiskServices,
  submission: BulkSubmission,
  body: ReadableStream<Uint8Array>,
  job: JobRow,
  key: string,
) {
  const fileSha256 = await digestOfBody(body, deps.config.MAX_BULK_BYTES);
  return replay(ctx, replayOf(job, await submissionDigest(ctx, digestParts(submission, fileSha256))), key);
}

/** What a bulk job may score with: a model making credit or annual-statement predictions. */
const jobModel = (submission: BulkSubmission) => ({
  name: submission.model,
  version: submission.modelVersion,
  kind: BULK_KINDS,
});

/**
 * The model version every chunk of the job will use, fixed now: admitted on one batch read with the day's
 * quota (refused, 429, when nothing of it is left) before a byte is stored, then loaded while the file
 * streams in - a model that cannot be served after all still refuses the job, and its upload is deleted.
 */
async function resolveJobModel(
  ctx: TenantContext,
  deps: RiskServices,
  submission: BulkSubmission,
  body: ReadableStream<Uint8Array>,
  found: AdmissionRows | undefined,
): Promise<{ serving: ServingModel; upload: ReceivedUpload }> {
  const admitted = await admittedModel(ctx, deps, jobModel(submission), { requireLeft: true, found });
  const loading = loadServing(deps, admitted, jobModel(submission));
  loading.catch(() => undefined); // awaited below, once the upload is in
  const upload = await receiveUpload(ctx, deps, submission, body);
  const serving = await loading.catch(async (error: unknown) => {
    await deps.files.delete(upload.key);
    throw error;
  });
  return { serving, upload };
}

/**
 * Records the job in one round trip: under a key, a job whose key has expired gives it up first; the job is
 * inserted unless a copy of this request got there first (the unique key judges, a copy still being recorded
 * is waited for); its audit event is appended only if it was; a file with no rows is done at once; and the job
 * under the key - this one, or the copy that is the job instead (`replayed`) - is read back. If nothing is
 * recorded, the upload is deleted.
 */
async function recordJob(
  ctx: TenantContext,
  deps: RiskServices,
  submission: BulkSubmission,
  serving: ServingModel,
  upload: ReceivedUpload,
): Promise<Submitted> {
  const { idempotencyKey } = submission;
  const { tenantId } = ctx;
  const { ref, sha256 } = serving.resolved.located;
  const keyed = idempotencyKey !== undefined && upload.requestSha256 !== null;
  const values = {
    id: upload.id,
    tenantId,
    inputFormat: submission.format,
    inputKey: upload.key,
    inputBytes: upload.bytes,
    columns: upload.columns,
    rowsTotal: upload.rows,
    chunksTotal: upload.chunks.length,
    chunkRows: deps.config.BULK_CHUNK_ROWS,
    modelName: ref.name,
    modelVersion: ref.version,
    modelSha256: sha256,
    modelSource: serving.resolved.source,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    idempotencyKey: keyed ? idempotencyKey : null,
    requestSha256: keyed ? upload.requestSha256 : null,
  };
  const event = eventOf(ctx, {
    action: "job.submitted",
    resourceType: "scoring_job",
    resourceId: upload.id,
    after: {
      format: submission.format,
      bytes: upload.bytes,
      rows: upload.rows,
      model: `${ref.name}@${ref.version}`,
    },
  });
  const expiredBefore = new Date(ctx.now().getTime() - KEY_TTL_MS);
  try {
    const written = await ctx.write("jobs:write", null, (db) => ({
      ...(keyed ? { released: read(releaseExpiredKey(db, tenantId, idempotencyKey, expiredBefore)) } : {}),
      inserted: read(
        db.insert(scoringJobs).values(values).onConflictDoNothing().returning({ id: scoringJobs.id }),
        (rows) => rows.length > 0,
      ),
      audit: read(
        db.execute(sql`select finedge_append_audit(${tenantId}::uuid, ${databaseJson(auditEventJson(event))}::jsonb)
                         from ${scoringJobs} where ${scoringJobs.tenantId} = ${tenantId} and ${scoringJobs.id} = ${upload.id}`),
      ),
      settled: read(settleJobStatement(db, tenantId, upload.id)),
      job: read(
        keyed ? jobByKey(db, tenantId, idempotencyKey) : jobById(db, tenantId, upload.id),
        (rows) => rows[0],
      ),
    }));
    const { job } = written;
    if (!job) throw new Error("the job was neither recorded nor found under its key");
    if (written.inserted) {
      ctx.audited += 1;
      return { job, replayed: false };
    }
    // A copy of this request that finished uploading first is the job; this upload is dropped.
    return { job: replayOf(job, upload.requestSha256 as string), replayed: true };
  } catch (error) {
    await deps.files.delete(upload.key);
    throw error;
  }
}

/** Another copy of the request became the job: this upload is dropped and the retry answered with that job. */
async function replayWinner(
  ctx: TenantContext,
  deps: RiskServices,
  upload: ReceivedUpload,
  winner: JobRow,
  key: string,
): Promise<Submitted> {
  await deps.files.delete(upload.key);
  return replay(ctx, winner, key);
}

/**
 * Accepts a bulk file of loan applications or annual statements, as the model takes. The model is fixed
 * now, so every chunk uses the same version; the chunks are planned while the file streams to R2, so the
 * job knows its size at once.
 */
export async function submitBulkJob(
  ctx: TenantContext,
  deps: RiskServices,
  submission: BulkSubmission,
): Promise<Submitted> {
  const body = requireBody(submission);
  const key = submission.idempotencyKey;
  let found: AdmissionRows | undefined;
  if (key !== undefined) {
    const earlier = await liveJobUnderKey(ctx, submission, key);
    if (earlier.job) return replayEarlier(ctx, deps, submission, body, earlier.job, key);
    found = earlier.found;
  }
  const { serving, upload } = await resolveJobModel(ctx, deps, submission, body, found);
  const accepted = await recordJob(ctx, deps, submission, serving, upload);
  if (accepted.replayed && key !== undefined) return replayWinner(ctx, deps, upload, accepted.job, key);
  await enqueueJob(ctx, deps, accepted.job, upload.chunks);
  return accepted;
}
