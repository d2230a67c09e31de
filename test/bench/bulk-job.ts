/**
 * A bulk scoring job end to end on the local stack: a CSV of loan applications is posted to
 * /api/v1/predictions/bulk, then the job is polled until it settles. The figure is everything a client
 * waits for: the upload to R2 and its split into chunks, the local queue's delivery of every chunk, and
 * each chunk's validation, batched inference, quota, results file and its two database calls, and how many
 * calls each chunk made (counted by the local servers under the chunk's name).
 */
import { chunkRequestId } from "../../src/queues/messages";
import { creditApplications } from "./credit-data";
import { account } from "./scenarios";

/** How often the job is polled: the completion figure's resolution. */
const POLL_MS = 100;
/** Access tokens live 15 minutes; a job still running after this is reported as it stands. */
const TIMEOUT_MS = 12 * 60_000;
/**
 * A job whose counts stand still this long is reported as it stands. Locally that happens when
 * `wrangler dev` reloads the Worker (a source file changed) while chunks wait in its in-memory queue:
 * they are lost, and the job never settles.
 */
const STALL_MS = 60_000;
const SETTLED = new Set(["completed", "partially_failed", "failed"]);

/** The part of GET /api/v1/jobs/{id} the bench reads. */
interface JobView {
  id: string;
  status: string;
  progress: {
    rows_total: number | null;
    rows_scored: number;
    rows_failed: number;
    chunks_total: number | null;
    chunks_done: number;
  };
  error: string | null;
  created_at: string;
  started_at: string | null;
  duration_ms: number | null;
}

export interface BulkReport {
  model: string;
  rows: number;
  bytes: number;
  status: string;
  /** From the start of the POST to its 202. */
  upload_ms: number;
  /** From the job's creation to its first chunk starting (queue delivery). */
  queue_wait_ms: number | null;
  /** From the start of the POST to the poll that saw the job settle (polled every POLL_MS, 100 ms: each poll is a request the same Worker serves). */
  completion_s: number;
  /** The job's own `duration_ms` (its creation to its completion), in seconds. */
  job_duration_s: number | null;
  /** rows / completion_s, for a job that settled. */
  rows_per_s: number | null;
  rows_scored: number;
  rows_failed: number;
  chunks: number | null;
  /** Database calls per chunk (HTTP; a WebSocket would count too), the mean over the job's chunks. */
  db_calls_per_chunk: number | null;
  error: string | null;
}

/** Where the stack counts a request id's database calls (tools/sql-over-http.ts, the relay). */
export interface CallCounters {
  sqlEndpoint: string;
  relay: string;
}

/** The mean number of database calls the job's chunks made, as counted under each chunk's name. */
async function callsPerChunk(counters: CallCounters, jobId: string, chunks: number) {
  let calls = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const name = encodeURIComponent(chunkRequestId(jobId, chunk));
    const [http, websocket] = await Promise.all([
      fetch(`${new URL(counters.sqlEndpoint).origin}/calls/${name}`).then(
        (r) => r.json() as Promise<{ statements: unknown[] }>,
      ),
      fetch(`http://${counters.relay}/connections/${name}`).then(
        (r) => r.json() as Promise<{ connections: number }>,
      ),
    ]);
    calls += http.statements.length + websocket.connections;
  }
  return chunks > 0 ? Math.round((calls / chunks) * 100) / 100 : null;
}

/**
 * `rows` applications: the credit models' 4,454 training applications in turn (empty cells are imputed),
 * each with its own `reference`.
 */
export function bulkCsv(rows: number): string {
  const applications = creditApplications();
  const fields = Object.keys(applications[0] ?? {});
  const lines = [`reference,${fields.join(",")}`];
  for (let i = 0; i < rows; i++) {
    const application = applications[i % applications.length] ?? {};
    lines.push(`app-${i + 1},${fields.map((field) => application[field] ?? "").join(",")}`);
  }
  return `${lines.join("\n")}\n`;
}

async function answer<T>(response: Response, expected: number): Promise<T> {
  const body = await response.text();
  if (response.status !== expected) throw new Error(`${response.url} answered ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Submits `rows` applications for `model` as a fresh tenant and follows the job to its end. */
export async function measureBulkJob(
  apiUrl: string,
  rows: number,
  counters?: CallCounters,
  model = "credit-gbdt",
): Promise<BulkReport> {
  const csv = bulkCsv(rows);
  const { accessToken } = await account(apiUrl, "bulk");
  const authorization = `Bearer ${accessToken}`;
  const started = performance.now();
  const accepted = await answer<{ id: string }>(
    await fetch(`${apiUrl}/api/v1/predictions/bulk?model=${model}`, {
      method: "POST",
      headers: { authorization, "content-type": "text/csv" },
      body: csv,
    }),
    202,
  );
  const uploadMs = performance.now() - started;
  let job: JobView;
  let done = -1;
  let progressed = started;
  let reported = started;
  let stalled = false;
  for (;;) {
    job = await answer<JobView>(
      await fetch(`${apiUrl}/api/v1/jobs/${accepted.id}`, { headers: { authorization } }),
      200,
    );
    const now = performance.now();
    if (SETTLED.has(job.status) || now - started > TIMEOUT_MS) break;
    const counted = job.progress.rows_scored + job.progress.rows_failed;
    if (counted !== done) {
      done = counted;
      progressed = now;
    } else if (now - progressed > STALL_MS) {
      stalled = true;
      break;
    }
    if (now - reported > 10_000) {
      reported = now;
      process.stderr.write(
        `  bulk: ${done} of ${rows} rows after ${((now - started) / 1000).toFixed(0)} s\n`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const seconds = (performance.now() - started) / 1000;
  const rowsTotal = job.progress.rows_total ?? rows;
  return {
    model,
    rows: rowsTotal,
    bytes: Buffer.byteLength(csv),
    status: SETTLED.has(job.status)
      ? job.status
      : `${job.status} (${stalled ? `no progress for ${STALL_MS / 1000} s` : `unfinished after ${TIMEOUT_MS / 1000} s`})`,
    upload_ms: Math.round(uploadMs),
    queue_wait_ms: job.started_at ? Date.parse(job.started_at) - Date.parse(job.created_at) : null,
    completion_s: Math.round(seconds * 100) / 100,
    job_duration_s: job.duration_ms === null ? null : job.duration_ms / 1000,
    rows_per_s: SETTLED.has(job.status) ? Math.round(rowsTotal / seconds) : null,
    rows_scored: job.progress.rows_scored,
    rows_failed: job.progress.rows_failed,
    chunks: job.progress.chunks_total,
    db_calls_per_chunk:
      counters && SETTLED.has(job.status)
        ? await callsPerChunk(counters, accepted.id, job.progress.chunks_total ?? 0)
        : null,
    error: job.error,
  };
}
