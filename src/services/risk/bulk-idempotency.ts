/**
 * Idempotency-Key on bulk submissions. A bulk file can be far larger than anything worth holding, so the
 * generic middleware (which stores the response and compares bodies) does not fit: instead the job itself
 * records its key and a digest of what was submitted - caller, format, model and the file's SHA-256,
 * computed while the file streams to R2. A retry with the same key and the same submission within a day
 * gets the same job back (202, `Idempotency-Replayed: true`); another submission under the key is 422.
 * Two copies racing each other both upload, and the unique key lets exactly one become the job.
 */
import type { JobRow } from "../../db/repositories/scoring-jobs.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";

/** How long a key names its job (as the Idempotency-Key middleware's replay window). */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A running SHA-256 of an upload, fed piece by piece (workerd's DigestStream: nothing is buffered). */
export class UploadDigest {
  readonly #stream = new crypto.DigestStream("SHA-256");
  readonly #writer = this.#stream.getWriter();
  #pending: Promise<void> = Promise.resolve();

  push(piece: Uint8Array): void {
    // Writes queue in order; the copy keeps the bytes safe from a producer that reuses its buffer.
    const copy = piece.slice();
    this.#pending = this.#pending.then(() => this.#writer.write(copy));
  }

  async hex(): Promise<string> {
    await this.#pending;
    await this.#writer.close();
    return hex(await this.#stream.digest);
  }
}

/** What a submission is, for comparing a retry with the original: who sent which file to which model. */
export async function submissionDigest(
  ctx: TenantContext,
  parts: { format: string; model: string; modelVersion: string | null; fileSha256: string },
): Promise<string> {
  const text = JSON.stringify([
    ctx.actor.type,
    ctx.actor.id,
    parts.format,
    parts.model,
    parts.modelVersion,
    parts.fileSha256,
  ]);
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

const reused = () =>
  new AppError(
    "idempotency_key_reused",
    "This Idempotency-Key was used for a different submission; use a new key for a new job.",
  );

/** The job a retry gets back: the same submission, or 422 for another one under the same key. */
export function replayOf(job: JobRow, digest: string): JobRow {
  if (job.requestSha256 !== digest) throw reused();
  return job;
}

/** Hashes a whole body without keeping it (a retry of a job already accepted), enforcing the size limit. */
export async function digestOfBody(body: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const digest = new UploadDigest();
  let total = 0;
  for await (const piece of body as unknown as AsyncIterable<Uint8Array>) {
    total += piece.byteLength;
    if (total > limit) {
      throw new AppError("payload_too_large", `The request body exceeds the limit of ${limit} bytes.`);
    }
    digest.push(piece);
  }
  return digest.hex();
}
