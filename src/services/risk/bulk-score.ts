/**
 * Scores one chunk of a bulk job in two round trips to the database, both over HTTP: one batch reads the job
 * (and whether the chunk is recorded already); its rows are read back from the upload, validated one by one
 * (a bad row is reported with its reason, never failing the job) and scored together in one inference call;
 * the tenant's authority grants the rows against the daily quota; the results go to R2 as the chunk's file;
 * and one call records the chunk, once, under the job's row lock.
 */

import { sql } from "drizzle-orm";
import { jsonResult, read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import { chunkById, type JobRow, jobById } from "../../db/repositories/scoring-jobs.repository";
import { databaseJson } from "../../db/well-formed";
import type { Consultation } from "../../durable-objects/tenant-authority";
import { formatProbability } from "../../ml/bands";
import type { PreparedInput } from "../../ml/features";
import { prepareInput } from "../../ml/features";
import { annualRatios, type Figures } from "../../ml/ratios";
import { topReasons } from "../../ml/reasons";
import type { ScoringMessage } from "../../queues/messages";
import type { RiskServices } from "../context";
import { copyUntil } from "../tenancy/edge-standing";
import type { BulkRow } from "./bulk-format";
import { failed, rawInputOf, readChunk } from "./chunk-rows";
import type { ResultLine } from "./job-results";
import { BULK_KINDS, resultKey } from "./jobs";
import { engine } from "./model-loading";
import { learnTenant, tenantStatements, utcDay } from "./quota";
import { loadResolved } from "./scoring";

/** What queue work needs of a tenant: its id, its database (batches in its scope) and a clock. */
export interface JobScope {
  tenantId: string;
  database: Pick<RequestDatabase, "read">;
  now(): Date;
}

/** Whether chunks still count towards the job (not once it has failed or been cancelled). */
const open = (job: JobRow | undefined): job is JobRow =>
  job !== undefined && (job.status === "queued" || job.status === "running");

/** What a chunk reads first, in one batch: its job, whether it is recorded, the tenant's quota facts. */
async function chunkState(scope: JobScope, message: ScoringMessage, now: Date) {
  const { tenantId } = scope;
  return scope.database.read({ tenantId }, (db) => ({
    job: read(jobById(db, tenantId, message.jobId), (rows) => rows[0]),
    recorded: read(chunkById(db, tenantId, message.jobId, message.chunk), (rows) => rows.length > 0),
    ...tenantStatements(db, tenantId, now),
  }));
}

type ChunkState = Awaited<ReturnType<typeof chunkState>>;

/**
 * Takes the chunk's scorable rows from the tenant's authority, under the chunk's key: a redelivered chunk is
 * granted the same rows. An authority holding no copy of the tenant's facts judges by those the chunk read
 * (given under no generation, so they judge this take without being kept).
 */
async function grantedRows(
  scope: JobScope,
  deps: RiskServices,
  message: ScoringMessage,
  state: ChunkState,
  scorable: number,
  now: Date,
): Promise<number> {
  if (scorable === 0) return 0;
  const take = {
    day: utcDay(now),
    rows: scorable,
    partial: true,
    key: `${message.jobId}:${message.chunk}`,
    defaultLimit: deps.config.TENANT_INFERENCE_ROWS_PER_DAY,
  };
  try {
    const consulted = (await deps
      .tenantAuthority(scope.tenantId)
      .consult({ day: take.day, take })) as Consultation;
    if (consulted.granted !== undefined) return consulted.granted;
  } catch {
    // Unreachable: the facts read judge it (`learnTenant` logs it).
  }
  const knowledge = {
    tenant: state.tenant,
    used: { day: take.day, rows: state.used },
    until: copyUntil(now),
  };
  return (await learnTenant(deps, scope.tenantId, -1, knowledge, take)).granted ?? 0;
}

/**
 * Writes the chunk's results file, then records the chunk in one call (finedge_record_chunk, migrations/0016):
 * its counts, failed rows, usage and, with the last chunk, the job's status. Rows past the quota are marked
 * failed first. A file written for a job that closed meanwhile is taken back: its results end where it closed.
 */
async function recordResults(
  scope: JobScope,
  deps: RiskServices,
  message: ScoringMessage,
  state: ChunkState,
  lines: ResultLine[],
  scorable: number,
  startedAt: Date,
) {
  const now = scope.now();
  const granted = await grantedRows(scope, deps, message, state, scorable, now);
  let left = granted;
  const final = lines.map((line) => {
    if (line.status !== "scored") return line;
    if (left-- > 0) return line;
    return {
      row: line.row,
      line: line.line,
      reference: line.reference,
      status: "failed" as const,
      errors: [{ field: null, message: "the daily inference quota is used up" }],
    };
  });
  const key = resultKey(scope.tenantId, message.jobId, message.chunk);
  await deps.files.put(key, `${final.map((l) => JSON.stringify(l)).join("\n")}\n`);
  const failedLines = final.filter((l) => l.status === "failed");
  const payload = {
    tenant_id: scope.tenantId,
    job_id: message.jobId,
    chunk: message.chunk,
    result_key: key,
    scored: final.length - failedLines.length,
    failed: failedLines.length,
    granted,
    day: utcDay(now),
    started_at: startedAt.toISOString(),
    errors: failedLines.map((l) => ({
      row: l.row,
      line: l.line,
      reference: l.reference,
      errors: l.errors ?? [],
    })),
  };
  const { recorded } = await scope.database.read({ tenantId: scope.tenantId }, (db) => ({
    recorded: read(
      db.execute(sql`select finedge_record_chunk(${databaseJson(payload)}::jsonb) as result`),
      jsonResult<{ outcome: "recorded" | "recorded_before" | "closed" }>(),
    ),
  }));
  if (recorded.outcome === "closed") await deps.files.delete(key);
}

export async function scoreChunk(
  scope: JobScope,
  deps: RiskServices,
  message: ScoringMessage,
): Promise<void> {
  const startedAt = scope.now();
  const state = await chunkState(scope, message, startedAt);
  const { job } = state;
  if (!open(job) || state.recorded) return;
  const located = {
    ref: {
      tenantId: job.modelSource === "tenant" ? scope.tenantId : null,
      name: job.modelName,
      version: job.modelVersion,
    },
    sha256: job.modelSha256,
    manifestSha256: null,
  };
  const model = await loadResolved(deps, { located, source: job.modelSource }, BULK_KINDS);
  const records = await readChunk(deps, job.inputKey, message, job.inputFormat, job.columns);
  const lines: ResultLine[] = [];
  const ready: Array<{ line: number; prepared: PreparedInput; figures: Figures | null }> = [];
  for (const record of records) {
    if ("error" in record) {
      lines.push(failed(record, [{ field: null, message: record.error }]));
      continue;
    }
    const raw = rawInputOf(record.fields, job.inputFormat, model.manifest);
    if ("errors" in raw) {
      lines.push(failed(record, raw.errors));
      continue;
    }
    const prepared = prepareInput(raw.input, model.manifest);
    if ("issues" in prepared) {
      lines.push(
        failed(
          record,
          prepared.issues.map((i) => ({ field: i.pointer.slice(1) || null, message: i.message })),
        ),
      );
      continue;
    }
    ready.push({ line: lines.length, prepared, figures: raw.figures });
    lines.push({ row: record.row, line: record.line, reference: record.reference, status: "scored" });
  }
  const { scorePrepared } = await engine();
  const scored = await scorePrepared(
    model.manifest,
    model.run,
    ready.map((r) => r.prepared),
  );
  ready.forEach(({ line, figures }, i) => {
    const result = scored[i];
    const target = lines[line];
    if (!result || !target) return;
    Object.assign(target, {
      probability: formatProbability(result.probability),
      band: result.band,
      reason_codes: topReasons(result.contributions, 3),
      ...(figures ? { ratios: annualRatios(figures) } : {}),
    });
  });
  await recordResults(scope, deps, message, state, lines, ready.length, startedAt);
}

/**
 * A chunk that exhausted its retries: its rows are recorded as failed, so the job still finishes - with
 * their lines and references when the upload can still be read, which is what a resubmission needs.
 */
export async function abandonChunk(
  scope: JobScope,
  deps: RiskServices,
  message: ScoringMessage,
): Promise<void> {
  const startedAt = scope.now();
  const state = await chunkState(scope, message, startedAt);
  const { job } = state;
  if (!open(job) || state.recorded) return;
  const records = await readChunk(deps, job.inputKey, message, job.inputFormat, job.columns).catch(
    () => [] as BulkRow[],
  );
  const lines: ResultLine[] = Array.from({ length: message.rows }, (_, i) => ({
    row: message.firstRow + i,
    line: records[i]?.line ?? null,
    reference: records[i]?.reference ?? null,
    status: "failed",
    errors: [{ field: null, message: "this chunk could not be scored; submit these rows again" }],
  }));
  await recordResults(scope, deps, message, state, lines, 0, startedAt);
}
