import type { components, paths } from "./generated/schema.js";
import { documentsIdempotencyKey } from "./idempotency.js";
import type { Attempt, Outgoing, Transport } from "./transport.js";
import {
  chooseUploadMethod,
  countedStream,
  replayableBody,
  sizeOf,
  type UploadMethod,
  type UploadProgress,
  type UploadSource,
  xhrAttempt,
} from "./upload.js";

export type JobAccepted = components["schemas"]["JobAccepted"];
export type ScoringJob = components["schemas"]["ScoringJobDetail"];
type BulkQuery = NonNullable<paths["/api/v1/predictions/bulk"]["post"]["parameters"]["query"]>;

const BULK_PATH = "/api/v1/predictions/bulk";
const FINISHED: ReadonlySet<string> = new Set(["completed", "partially_failed", "failed", "cancelled"]);

export interface BulkUpload extends BulkQuery {
  body: UploadSource;
  contentType: "text/csv" | "application/x-ndjson";
  /** The size of a stream body, when known, for the progress's total. */
  size?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** The key this job is submitted under; a fresh one by default, the same on the upload's own retries. */
  idempotencyKey?: string;
  /** How to send and count the bytes; chosen by the runtime by default. */
  method?: UploadMethod;
  signal?: AbortSignal;
}

export interface BulkApi {
  /** Uploads a CSV or NDJSON file for scoring; resolves when the API has accepted the job (202). */
  upload(upload: BulkUpload): Promise<{ job: JobAccepted; location: string; replayed: boolean }>;
  /** Follows a job's `Location` (or id) until it finishes, reporting each poll. */
  waitForJob(
    job: string,
    options?: {
      intervalMs?: number;
      timeoutMs?: number;
      onProgress?: (job: ScoringJob) => void;
      signal?: AbortSignal;
    },
  ): Promise<ScoringJob>;
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });

export function bulkApi(deps: {
  baseUrl: string;
  transport: Transport;
  idempotencyKey: () => string;
}): BulkApi {
  const { baseUrl, transport } = deps;

  return {
    async upload(upload) {
      const query = new URLSearchParams();
      if (upload.model) query.set("model", upload.model);
      if (upload.model_version) query.set("model_version", upload.model_version);
      const headers = new Headers({ "content-type": upload.contentType });
      if (documentsIdempotencyKey("POST", BULK_PATH)) {
        headers.set("idempotency-key", upload.idempotencyKey ?? deps.idempotencyKey());
      }
      const method = upload.method ?? chooseUploadMethod(upload.body);
      const streamed = upload.body instanceof ReadableStream ? upload.body : null;
      const bytes = streamed ? null : replayableBody(upload.body as Exclude<UploadSource, ReadableStream>);
      const total = bytes ? sizeOf(bytes) : (upload.size ?? null);
      const report = (sent: number) => upload.onProgress?.({ sent, total });
      const request: Outgoing = {
        url: `${baseUrl}${BULK_PATH}${query.size ? `?${query}` : ""}`,
        method: "POST",
        headers,
        body: null,
        signal: upload.signal,
      };
      let attempt: Attempt = transport.fetchAttempt;
      if (method === "stream") {
        request.streaming = true;
        request.replayable = streamed === null;
        request.body = () => {
          let sent = 0;
          report(0);
          return countedStream(streamed ?? (bytes as Uint8Array | Blob), (count) => {
            sent += count;
            report(sent);
          });
        };
      } else {
        // A caller's stream cannot go through XMLHttpRequest or a plain body: it is read whole first.
        const whole = bytes ?? new Uint8Array(await new Response(streamed).arrayBuffer());
        request.body = () => whole as BodyInit;
        if (method === "xhr") {
          const credentials = transport.cookieMode;
          attempt = xhrAttempt((progress) => upload.onProgress?.(progress), credentials);
        }
      }
      const response = await transport.send(request, attempt);
      if (method === "fetch") report(total ?? 0);
      const location = response.headers.get("location");
      const job = (await response.json()) as JobAccepted;
      return {
        job,
        location: location ?? job.location,
        replayed: response.headers.get("idempotency-replayed") === "true",
      };
    },

    async waitForJob(job, options = {}) {
      const url = new URL(job.includes("/") ? job : `/api/v1/jobs/${encodeURIComponent(job)}`, `${baseUrl}/`);
      const deadline =
        options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
      for (let interval = Math.min(options.intervalMs ?? 1000, 250); ; ) {
        const response = await transport.send({
          url: url.toString(),
          method: "GET",
          headers: new Headers({ accept: "application/json" }),
          body: null,
          signal: options.signal,
        });
        const current = (await response.json()) as ScoringJob;
        options.onProgress?.(current);
        if (FINISHED.has(current.status)) return current;
        if (Date.now() + interval > deadline)
          throw new Error(`job ${current.id} still ${current.status} at the deadline`);
        await wait(interval, options.signal);
        interval = Math.min(interval * 2, options.intervalMs ?? 1000);
      }
    },
  };
}
