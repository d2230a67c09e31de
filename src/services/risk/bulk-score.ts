/**
 * Scores one chunk of a bulk job: its rows are read back from the upload, validated one by one (a bad
 * row is reported with its reason, never failing the job), scored together in one inference call, and
 * recorded once under the job's row lock - with the daily quota taken in the same transaction.
 */

import type { Transaction } from "../../db/client";
import { addInferenceRows } from "../../db/repositories/inference-usage.repository";
import {
  addChunkCounts,
  chunkRecorded,
  findJob,
  insertJobErrors,
  type JobRow,
  recordChunk,
  settleJob,
} from "../../db/repositories/scoring-jobs.repository";
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
import { takeRows, utcDay } from "./quota";
import { loadResolved } from "./scoring";
import { InlineStatementSchema } from "./statement-schemas";

/** What queue work needs of a tenant: its id, its transactions and a clock (no caller, no audit). */
export interface JobScope {
  tenantId: string;
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
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

/** Writes the chunk's results and counts it, once; `lines` get the rows past the quota marked failed. */
async function recordResults(
  scope: JobScope,
  deps: RiskServices,
  message: ScoringMessage,
  lines: ResultLine[],
  scorable: number,
  startedAt: Date,
) {
  await scope.transaction(async (tx) => {
    const job = await findJob(tx, scope.tenantId, message.jobId, true);
    if (!open(job) || (await chunkRecorded(tx, scope.tenantId, message.jobId, message.chunk))) return;
    // Taken under the chunk's key: a retried transaction or a redelivered chunk is granted the same rows.
    const now = scope.now();
    const day = utcDay(now);
    const granted =
      scorable > 0
        ? await takeRows(
            deps,
            tx,
            scope.tenantId,
            {
              day,
              rows: scorable,
              partial: true,
              key: `${message.jobId}:${message.chunk}`,
              defaultLimit: deps.config.TENANT_INFERENCE_ROWS_PER_DAY,
            },
            now,
            copyUntil(now),
          )
        : 0;
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
    const scored = final.filter((l) => l.status === "scored").length;
    const counts = { scored, failed: final.length - scored };
    await recordChunk(tx, {
      jobId: message.jobId,
      chunk: message.chunk,
      tenantId: scope.tenantId,
      rowsScored: counts.scored,
      rowsFailed: counts.failed,
      resultKey: key,
    });
    await insertJobErrors(
      tx,
      final
        .filter((l) => l.status === "failed")
        .map((l) => ({
          jobId: message.jobId,
          tenantId: scope.tenantId,
          row: l.row,
          line: l.line,
          reference: l.reference,
          errors: l.errors ?? [],
        })),
    );
    if (granted > 0) await addInferenceRows(tx, scope.tenantId, day, granted);
    await addChunkCounts(tx, scope.tenantId, message.jobId, { ...counts, startedAt });
    await settleJob(tx, scope.tenantId, message.jobId);
  });
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
  const job = await scope.transaction((tx) => findJob(tx, scope.tenantId, message.jobId));
  if (!open(job)) return;
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
  await recordResults(scope, deps, message, lines, ready.length, startedAt);
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
  const job = await scope.transaction((tx) => findJob(tx, scope.tenantId, message.jobId));
  if (!open(job)) return;
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
  await recordResults(scope, deps, message, lines, 0, scope.now());
}
