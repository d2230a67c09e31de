/**
 * Bulk files, read without holding them in memory. A single pass finds where each record starts and
 * ends (bytes), so a chunk of rows is a byte range of the upload that its consumer reads back from R2 on
 * its own. CSV records may contain newlines inside quotes (RFC 4180); `"` and `\n` are ASCII, so they are
 * never part of a multi-byte UTF-8 character and the scan can work on bytes.
 */
import { parse } from "csv-parse/sync";

export type BulkFormat = "csv" | "ndjson";

/** A record's bytes in the file, and the (1-based) line it starts on. */
export interface RecordSpan {
  offset: number;
  length: number;
  line: number;
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const isBlank = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === NEWLINE;

/**
 * Calls `onRecord` for every non-blank record of a byte stream (a trailing newline is optional). Lines are
 * counted as a text editor shows them, newlines inside quoted CSV fields included, so an error can name
 * the line a user will find the record on; `start` and `line` place a scan that begins mid-file.
 */
export class RecordScanner {
  #position = 0;
  #start = 0;
  #line = 1;
  #startLine = 1;
  #quoted = false;
  #blank = true;

  constructor(
    private readonly format: BulkFormat,
    private readonly onRecord: (span: RecordSpan) => void,
    start = 0,
    line = 1,
  ) {
    this.#position = start;
    this.#start = start;
    this.#line = line;
    this.#startLine = line;
  }

  push(bytes: Uint8Array): void {
    // Line by line with the runtime's own search (`indexOf`), not byte by byte in JavaScript: a quote's
    // position is looked up once and kept until the scan passes it, so a file without quotes is not searched
    // again for each line.
    const csv = this.format === "csv";
    let quote = csv ? bytes.indexOf(QUOTE) : -1;
    for (let at = 0; at < bytes.length; ) {
      const newline = bytes.indexOf(NEWLINE, at);
      const end = newline < 0 ? bytes.length : newline;
      while (quote >= 0 && quote < end) {
        this.#quoted = !this.#quoted;
        quote = bytes.indexOf(QUOTE, quote + 1);
      }
      for (let i = at; this.#blank && i < end; i++) if (!isBlank(bytes[i] as number)) this.#blank = false;
      this.#position += end - at;
      if (newline < 0) break;
      this.#line += 1;
      this.#position += 1;
      if (!this.#quoted) this.#emit(this.#position);
      at = newline + 1;
    }
  }

  /** The last record, when the file does not end with a newline. */
  end(): void {
    this.#emit(this.#position);
  }

  #emit(end: number): void {
    if (!this.#blank)
      this.onRecord({ offset: this.#start, length: end - this.#start, line: this.#startLine });
    this.#start = end;
    this.#startLine = this.#line;
    this.#blank = true;
  }
}

/** The byte-order mark some spreadsheet tools write first, which the header must not include. */
export const bomLength = (head: Uint8Array) =>
  head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;

/** One CSV record's fields. */
export function csvFields(text: string): string[] {
  const rows = parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  if (rows.length !== 1) throw new Error(rows.length === 0 ? "empty record" : "more than one record");
  return rows[0] as string[];
}

/** A raw bulk row - its number, its line in the upload and the client's reference - with its fields or why they cannot be read. */
export type BulkRow = { row: number; line: number | null; reference: string | null } & (
  | { fields: Record<string, unknown> }
  | { error: string }
);

const referenceOf = (value: unknown) =>
  typeof value === "string" || typeof value === "number" ? String(value).slice(0, 200) : null;

/**
 * A record without quotes or carriage returns inside it: its fields are the text between its commas, as the
 * parser would find them, without the parser (whose cost per record exceeds its fields' on a plain file).
 */
function plainFields(text: string): string[] | null {
  if (text.includes('"')) return null;
  const end = text.endsWith("\r\n") ? text.length - 2 : text.endsWith("\n") ? text.length - 1 : text.length;
  const line = text.slice(0, end);
  return line.includes("\r") || line.includes("\n") ? null : line.split(",");
}

/**
 * The fields of each of a chunk's CSV records: plain records split at their commas, the rest parsed in one
 * pass - a parser's set-up costs more than a record's fields - or null when the chunk must be read record by
 * record: one of them cannot be parsed (each is then refused on its own), or the records do not come out one
 * per text.
 */
function chunkFields(texts: string[]): string[][] | null {
  const fields = texts.map(plainFields);
  const quoted = texts.filter((_, i) => fields[i] === null);
  if (quoted.length === 0) return fields as string[][];
  try {
    const rows = parse(quoted.join(""), { relax_column_count: true, skip_empty_lines: true }) as string[][];
    if (rows.length !== quoted.length) return null;
    let next = 0;
    return fields.map((plain) => plain ?? (rows[next++] as string[]));
  } catch {
    return null;
  }
}

/** Reads a chunk's records (`texts`, the first being row `firstRow`); `columns` is the CSV header. */
export function readRecords(
  format: BulkFormat,
  texts: string[],
  at: Array<{ row: number; line: number | null }>,
  columns: string[] | null,
): BulkRow[] {
  const parsed = format === "csv" ? chunkFields(texts) : null;
  return texts.map((text, i) => readRecord(format, text, at[i] as (typeof at)[number], columns, parsed?.[i]));
}

/**
 * Reads one record of a chunk; `columns` is the CSV header, `values` its fields when already parsed. The
 * `reference` field is the client's own id.
 */
export function readRecord(
  format: BulkFormat,
  text: string,
  at: { row: number; line: number | null },
  columns: string[] | null,
  values?: string[],
): BulkRow {
  const { row, line } = at;
  try {
    if (format === "ndjson") {
      const value = JSON.parse(text) as unknown;
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { row, line, reference: null, error: "the line is not a JSON object" };
      }
      const { reference, ...fields } = value as Record<string, unknown>;
      return { row, line, reference: referenceOf(reference), fields };
    }
    const record = values ?? csvFields(text);
    if (record.length !== columns?.length) {
      return {
        row,
        line,
        reference: null,
        error: `expected ${columns?.length} fields, found ${record.length}`,
      };
    }
    return { row, line, ...csvRecordFields(columns, record) };
  } catch (error) {
    return {
      row,
      line,
      reference: null,
      error: `unreadable ${format === "csv" ? "CSV record" : "JSON"}: ${(error as Error).message.slice(0, 200)}`,
    };
  }
}

/**
 * A CSV record's fields by column, its `reference` apart. Built property by property in the header's order,
 * so every record of a file has the same shape (the engine's fast path for the thousands a chunk reads);
 * a column named `__proto__` is an own field like any other, never the object's prototype.
 */
function csvRecordFields(columns: string[], record: string[]) {
  const fields: Record<string, unknown> = {};
  let reference: unknown;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as string;
    if (column === "reference") reference = record[i];
    else if (column === "__proto__")
      Object.defineProperty(fields, column, {
        value: record[i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else fields[column] = record[i];
  }
  return { reference: referenceOf(reference), fields };
}
