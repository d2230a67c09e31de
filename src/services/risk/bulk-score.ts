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
import { typedCsvRecord } from "../../ml/credit-features";
import type { PreparedInput } from "../../ml/features";
import { prepareInput } from "../../ml/features";
import type { Manifest } from "../../ml/manifest";
import { annualRatios, type Figures } from "../../ml/ratios";
import { topReasons } from "../../ml/reasons";
import type { ScoringMessage } from "../../queues/messages";
import type { RiskServices } from "../context";
import { copyUntil } from "../tenancy/edge-standing";
import { type BulkRow, RecordScanner, type RecordSpan, readRecords } from "./bulk-format";
import { figuresOfInline } from "./corporate-inputs";
import type { ResultLine } from "./job-results";
import { BULK_KINDS, resultKey } from "./jobs";
import { engine } from "./model-loading";
import { learnTenant, tenantStatements, utcDay } from "./quota";
import { loadResolved } from "./scoring";
import { InlineStatementSchema } from "./statement-schemas";

/** What queue work needs of a tenant: its id, its database (batches in its scope) and a clock. */
export interface JobScope {
  tenantId: string;
  database: Pick<RequestDatabase, "read">;
  now(): Date;
}

/** Whether chunks still count towards the job (not once it has failed or been cancelled). */
const open = (job: JobRow | undefined): job is JobRow =>
  job !== undefined && (job.status === "queued" || job.status === "running");

type RowInput = { input: unknown; figures: Figures | null } | { errors: NonNullable<ResultLine["errors"]> };

/** A row's fields as the model's raw input: an application, or a statement's amounts (decimal strings). */
function rawInputOf(fields: Record<string, unknown>, format: "csv" | "ndjson", manifest: Manifest): RowInput {
  if (manifest.rawInput.kind === "loan-application") {
    const input = format === "csv" ? typedCsvRecord(fields as Record<string, string>, manifest) : fields;
    return { input, figures: null };
  }
  // A blank CSV cell is an amount not given, as an absent key is.
  const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== "" && v !== null));
  const parsed = InlineStatementSchema.safeParse(given);
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((issue) => ({
        field:
          issue.path.map(String).join(".") ||
          (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : null),
        message: issue.code === "unrecognized_keys" ? "is not an amount of a statement" : issue.message,
      })),
    };
  }
  const figures = figuresOfInline(parsed.data);
  return { input: { ...figures }, figures };
}

const failed = (row: BulkRow, errors: ResultLine["errors"]): ResultLine => ({
  row: row.row,
  line: row.line,
  reference: row.reference,
  status: "failed",
  errors,
});

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

/** The line of the upload a chunk starts on; older messages did not carry it. */
const firstLineOf = (message: ScoringMessage, format: "csv" | "ndjson") =>
  message.firstLine ?? message.firstRow + (format === "csv" ? 1 : 0);

/** Reads the chunk's records back from the upload (its byte range only). */
async function readChunk(
  deps: RiskServices,
  key: string,
  message: ScoringMessage,
  format: "csv" | "ndjson",
  columns: string[] | null,
) {
  const object = await deps.files.get(key, { range: { offset: message.offset, length: message.length } });
  if (!object) throw new Error(`${key} is missing`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  const spans: RecordSpan[] = [];
  const scanner = new RecordScanner(format, (span) => spans.push(span), 0, firstLineOf(message, format));
  scanner.push(bytes);
  scanner.end();
  const decoder = new TextDecoder();
  return readRecords(
    format,
    spans.map((span) => decoder.decode(bytes.subarray(span.offset, span.offset + span.length))),
    spans.map((span, i) => ({ row: message.firstRow + i, line: span.line })),
    columns,
  );
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
