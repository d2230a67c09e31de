/**
 * A finished job's results, streamed chunk by chunk from R2 in row order - as stored (NDJSON) or as CSV -
 * so a result file of any size passes through without being held in memory.
 */
import { AppError } from "../../errors";
import type { Ratio } from "../../ml/ratios";
import type { TenantContext } from "../tenancy/context";
import { getJob, resultKey } from "./jobs";

/** One line of a results file. */
export interface ResultLine {
  row: number;
  /** The line of the upload the row starts on; null only when a lost chunk could not be read back. */
  line: number | null;
  reference: string | null;
  status: "scored" | "failed";
  probability?: string;
  band?: string;
  reason_codes?: Array<{ feature: string; direction: string; contribution: number }>;
  errors?: Array<{ field: string | null; message: string }>;
  /** Annual statements: the credit ratios derived from the row. */
  ratios?: Record<string, Ratio>;
}

const CSV_HEADER = "row,line,reference,status,probability,band,reason_1,reason_2,reason_3,errors\n";

const csvCell = (value: string | number | null | undefined) => {
  const text = value === null || value === undefined ? "" : String(value);
  // Quoted when needed (RFC 4180); a leading =, +, - or @ is defused so spreadsheets do not run it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function toCsvLine(line: ResultLine): string {
  const reasons = [0, 1, 2].map((i) => {
    const r = line.reason_codes?.[i];
    return r ? `${r.feature}:${r.direction}` : "";
  });
  const errors = (line.errors ?? [])
    .map((e) => (e.field ? `${e.field}: ${e.message}` : e.message))
    .join("; ");
  return `${[line.row, line.line, line.reference, line.status, line.probability, line.band, ...reasons, errors].map(csvCell).join(",")}\n`;
}

/** The results stream of a finished job; 409 while it is still running. */
export async function jobResults(ctx: TenantContext, files: R2Bucket, id: string, format: "ndjson" | "csv") {
  const job = await getJob(ctx, id);
  if (job.status === "queued" || job.status === "running") {
    throw new AppError("conflict", "The job is still running; its results are ready once it is done.");
  }
  const chunks = job.chunksTotal ?? 0;
  const encoder = new TextEncoder();
  let chunk = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === "csv") controller.enqueue(encoder.encode(CSV_HEADER));
    },
    // Every pull enqueues or closes (a pull that does neither is never followed by another): chunks with
    // no results - those a cancelled job never scored - are passed over within the same pull.
    async pull(controller) {
      for (; chunk < chunks; chunk += 1) {
        const object = await files.get(resultKey(ctx.tenantId, id, chunk));
        if (!object) continue;
        chunk += 1;
        if (format === "ndjson") return controller.enqueue(new Uint8Array(await object.arrayBuffer()));
        const lines = (await object.text()).split("\n").filter((l) => l.length > 0);
        return controller.enqueue(
          encoder.encode(lines.map((l) => toCsvLine(JSON.parse(l) as ResultLine)).join("")),
        );
      }
      controller.close();
    },
  });
  return { job, stream };
}
