/**
 * Streams a bulk upload into R2 without holding it in memory, showing every piece to `observe` on the
 * way (the chunk planner). With a Content-Length the body goes to R2 as a stream of that fixed length;
 * without one (chunked transfer) it goes up as a multipart upload in parts of a few MiB - the only bytes
 * ever held - and is cut off past the limit.
 */
import { AppError } from "../../errors";

const PART_BYTES = 8 * 1024 * 1024;

const tooLarge = (limit: number) =>
  new AppError("payload_too_large", `The request body exceeds the limit of ${limit} bytes.`);

export interface StoreOptions {
  contentLength: number | null;
  limit: number;
  contentType: string;
  observe: (bytes: Uint8Array) => void;
}

async function storeKnownLength(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: StoreOptions,
) {
  const length = options.contentLength as number;
  if (length > options.limit) throw tooLarge(options.limit);
  // R2 needs to know the length of a stream; FixedLengthStream also fails it if the body is not that long.
  const fixed = new FixedLengthStream(length);
  const observed = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(piece, controller) {
        options.observe(piece);
        controller.enqueue(piece);
      },
    }),
  );
  const [, object] = await Promise.all([
    observed.pipeTo(fixed.writable),
    bucket.put(key, fixed.readable, { httpMetadata: { contentType: options.contentType } }),
  ]);
  return object?.size ?? length;
}

async function storeMultipart(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: StoreOptions,
) {
  const upload = await bucket.createMultipartUpload(key, {
    httpMetadata: { contentType: options.contentType },
  });
  try {
    const parts: R2UploadedPart[] = [];
    const buffer = new Uint8Array(PART_BYTES);
    let filled = 0;
    let total = 0;
    const flush = async () => {
      parts.push(await upload.uploadPart(parts.length + 1, buffer.slice(0, filled)));
      filled = 0;
    };
    for await (const piece of body as unknown as AsyncIterable<Uint8Array>) {
      total += piece.byteLength;
      if (total > options.limit) throw tooLarge(options.limit);
      options.observe(piece);
      for (let at = 0; at < piece.byteLength; ) {
        const take = Math.min(PART_BYTES - filled, piece.byteLength - at);
        buffer.set(piece.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === PART_BYTES) await flush();
      }
    }
    if (filled > 0 || parts.length === 0) await flush();
    await upload.complete(parts);
    return total;
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
}

/** Stores `body` at `key`; returns its size in bytes. */
export function storeUpload(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: StoreOptions,
) {
  return options.contentLength === null
    ? storeMultipart(bucket, key, body, options)
    : storeKnownLength(bucket, key, body, options);
}
