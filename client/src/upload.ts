import type { Attempt } from "./transport.js";

/** What a bulk upload may send: a file, bytes, text, or a stream the caller produces (sent once). */
export type UploadSource = Blob | ArrayBuffer | Uint8Array | string | ReadableStream<Uint8Array>;

/** Bytes handed to the network so far, of `total` (null when a stream's size was not given). */
export interface UploadProgress {
  sent: number;
  total: number | null;
}

/** `xhr`: XMLHttpRequest's upload events (browsers, React Native); `stream`: a counted request stream. */
export type UploadMethod = "xhr" | "stream" | "fetch";

const CHUNK_BYTES = 64 * 1024;

/** The minimum of XMLHttpRequest the upload uses; declared here so the client needs no DOM typings. */
interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  getAllResponseHeaders(): string;
  send(body?: unknown): void;
  abort(): void;
  withCredentials: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly responseText: string;
  readonly upload: {
    onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

const xhrConstructor = () => (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;

/**
 * Whether `fetch` here sends a ReadableStream body (Chromium over HTTP/2, Workers, Node, Deno): a runtime
 * without it ignores `duplex` and turns the stream into the text "[object ReadableStream]".
 */
export function supportsRequestStreams(): boolean {
  try {
    let duplexRead = false;
    const hasContentType = new Request("https://feature.test/", {
      method: "POST",
      body: new ReadableStream(),
      get duplex() {
        duplexRead = true;
        return "half";
      },
    } as RequestInit).headers.has("content-type");
    return duplexRead && !hasContentType;
  } catch {
    return false;
  }
}

/**
 * Where XMLHttpRequest exists (browsers, React Native) it reports bytes on the wire, in every browser and
 * over HTTP/1.1; elsewhere a counted stream; a caller's own stream always goes as a stream.
 */
export function chooseUploadMethod(source: UploadSource): UploadMethod {
  if (source instanceof ReadableStream) return "stream";
  if (xhrConstructor()) return "xhr";
  return supportsRequestStreams() ? "stream" : "fetch";
}

/** The source as bytes or a Blob (everything but a caller's stream). */
export function replayableBody(source: Exclude<UploadSource, ReadableStream<Uint8Array>>): Uint8Array | Blob {
  if (typeof source === "string") return new TextEncoder().encode(source);
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return source;
}

export const sizeOf = (body: Uint8Array | Blob) => (body instanceof Blob ? body.size : body.byteLength);

function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
    },
  });
}

/**
 * A stream that counts what the request reads from `source`. It holds nothing itself (high-water mark 0):
 * a chunk is pulled only when the upload asks for it, so the count follows what was handed to the network.
 */
export function countedStream(
  source: ReadableStream<Uint8Array> | Uint8Array | Blob,
  onBytes: (count: number) => void,
): ReadableStream<Uint8Array> {
  const stream =
    source instanceof ReadableStream
      ? source
      : source instanceof Blob
        ? (source.stream() as ReadableStream<Uint8Array>)
        : chunked(source);
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        onBytes(value.byteLength);
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

function headersOf(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** One attempt through XMLHttpRequest, reporting `upload.onprogress`; the answer as a Response. */
export function xhrAttempt(
  onProgress: (progress: UploadProgress) => void,
  withCredentials: boolean,
): Attempt {
  return (request, headers, body) =>
    new Promise<Response>((resolve, reject) => {
      const Xhr = xhrConstructor();
      if (!Xhr) return reject(new TypeError("XMLHttpRequest is not available here"));
      const xhr = new Xhr();
      xhr.open(request.method, request.url);
      xhr.withCredentials = withCredentials;
      headers.forEach((value, name) => {
        xhr.setRequestHeader(name, value);
      });
      xhr.upload.onprogress = (event) =>
        onProgress({ sent: event.loaded, total: event.lengthComputable ? event.total : null });
      xhr.onload = () => {
        const empty = xhr.status === 204 || xhr.status === 205 || xhr.status === 304;
        resolve(
          new Response(empty ? null : xhr.responseText, {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: headersOf(xhr.getAllResponseHeaders()),
          }),
        );
      };
      // Like fetch: a network failure is a TypeError, an abort an AbortError.
      xhr.onerror = () => reject(new TypeError("network error during upload"));
      xhr.onabort = () => reject(new DOMException("upload aborted", "AbortError"));
      request.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send(body);
    });
}
