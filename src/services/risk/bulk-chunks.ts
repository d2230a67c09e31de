/**
 * Plans a bulk job's chunks while its upload streams to R2: each chunk is a byte range of `chunkRows`
 * records - fewer when they are wide, so that no chunk holds more than `chunkRows` x {@link RECORD_BYTES}
 * bytes - which its queue consumer reads back on its own. Only the chunk boundaries are kept (and, for
 * CSV, the header row), never the file. The plan depends on the file and `chunkRows` alone (the job keeps
 * it), so a stalled job's chunks are planned again exactly as they were.
 */
import { type BulkFormat, bomLength, csvFields, RecordScanner, type RecordSpan } from "./bulk-format";

/**
 * One chunk: `rows` records at bytes [offset, offset + length), the first being data row `firstRow`,
 * which starts on line `firstLine` of the upload.
 */
export interface ChunkPlan {
  chunk: number;
  offset: number;
  length: number;
  firstRow: number;
  firstLine: number;
  rows: number;
}

const HEAD_BYTES = 64 * 1024;
/**
 * The bytes a chunk may hold per row it may hold: a loan application is some 65 bytes of CSV and 250 of
 * NDJSON, so typical chunks are cut by rows; a file of wide records is cut by bytes, which keeps what a
 * chunk's consumer holds in memory (its text, records, inputs and results) within reach of its limit.
 */
export const RECORD_BYTES = 400;

export class ChunkPlanner {
  readonly chunks: ChunkPlan[] = [];
  rows = 0;
  #spans: RecordSpan[] = [];
  #spanBytes = 0;
  #head = new Uint8Array(HEAD_BYTES);
  #headFilled = 0;
  #header: RecordSpan | null = null;
  #scanner: RecordScanner;

  constructor(
    private readonly format: BulkFormat,
    private readonly chunkRows: number,
  ) {
    this.#scanner = new RecordScanner(format, (span) => this.#record(span));
  }

  push(bytes: Uint8Array): void {
    if (this.#headFilled < HEAD_BYTES) {
      const take = Math.min(HEAD_BYTES - this.#headFilled, bytes.byteLength);
      this.#head.set(bytes.subarray(0, take), this.#headFilled);
      this.#headFilled += take;
    }
    this.#scanner.push(bytes);
  }

  end(): void {
    this.#scanner.end();
    if (this.#spans.length > 0) this.#close();
  }

  /** CSV: the header's column names, or why they cannot be used. NDJSON: null. */
  columns(): { columns: string[] | null } | { problem: string } {
    if (this.format === "ndjson") return { columns: null };
    const span = this.#header;
    if (!span) return { problem: "the CSV has no header row" };
    if (span.offset + span.length > this.#headFilled)
      return { problem: "the CSV header is longer than 64 KiB" };
    const bytes = this.#head.subarray(span.offset, span.offset + span.length);
    let columns: string[];
    try {
      columns = csvFields(new TextDecoder().decode(bytes.subarray(bomLength(bytes)))).map((c) => c.trim());
    } catch (error) {
      return { problem: `the CSV header cannot be read: ${(error as Error).message.slice(0, 200)}` };
    }
    if (columns.some((c) => c === "") || new Set(columns).size !== columns.length) {
      return { problem: "the CSV header must name every column once" };
    }
    return { columns };
  }

  #record(span: RecordSpan): void {
    if (this.format === "csv" && this.#header === null) {
      this.#header = span;
      return;
    }
    this.rows += 1;
    this.#spans.push(span);
    this.#spanBytes += span.length;
    if (this.#spans.length === this.chunkRows || this.#spanBytes >= this.chunkRows * RECORD_BYTES)
      this.#close();
  }

  #close(): void {
    const first = this.#spans[0] as RecordSpan;
    const last = this.#spans.at(-1) as RecordSpan;
    this.chunks.push({
      chunk: this.chunks.length,
      offset: first.offset,
      length: last.offset + last.length - first.offset,
      firstRow: this.rows - this.#spans.length + 1,
      firstLine: first.line,
      rows: this.#spans.length,
    });
    this.#spans = [];
    this.#spanBytes = 0;
  }
}
