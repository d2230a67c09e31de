/**
 * A bulk chunk's rows as the scorer takes them: its byte range read back from the upload and split into
 * records, each record's fields made the model's raw input (or the reasons it cannot be).
 */

import { typedCsvRecord } from "../../ml/credit-features";
import type { Manifest } from "../../ml/manifest";
import type { Figures } from "../../ml/ratios";
import type { ScoringMessage } from "../../queues/messages";
import type { RiskServices } from "../context";
import { type BulkRow, RecordScanner, type RecordSpan, readRecords } from "./bulk-format";
import { figuresOfInline } from "./corporate-inputs";
import type { ResultLine } from "./job-results";
import { InlineStatementSchema } from "./statement-schemas";

/** The line of the upload a chunk starts on; older messages did not carry it. */
const firstLineOf = (message: ScoringMessage, format: "csv" | "ndjson") =>
  message.firstLine ?? message.firstRow + (format === "csv" ? 1 : 0);

/** Reads the chunk's records back from the upload (its byte range only). */
export async function readChunk(
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

type RowInput = { input: unknown; figures: Figures | null } | { errors: NonNullable<ResultLine["errors"]> };

/** A row's fields as the model's raw input: an application, or a statement's amounts (decimal strings). */
export function rawInputOf(
  fields: Record<string, unknown>,
  format: "csv" | "ndjson",
  manifest: Manifest,
): RowInput {
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

export const failed = (row: BulkRow, errors: ResultLine["errors"]): ResultLine => ({
  row: row.row,
  line: row.line,
  reference: row.reference,
  status: "failed",
  errors,
});
