import { describe, expect, it } from "vitest";
import { ChunkPlanner, RECORD_BYTES } from "../../../src/services/risk/bulk-chunks";
import {
  RecordScanner,
  type RecordSpan,
  readRecord,
  readRecords,
} from "../../../src/services/risk/bulk-format";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (all: Uint8Array, span: RecordSpan) =>
  new TextDecoder().decode(all.subarray(span.offset, span.offset + span.length));

function spansOf(input: string, format: "csv" | "ndjson", pieceSize = 3) {
  const all = bytes(input);
  const spans: RecordSpan[] = [];
  const scanner = new RecordScanner(format, (span) => spans.push(span));
  for (let at = 0; at < all.length; at += pieceSize) scanner.push(all.subarray(at, at + pieceSize));
  scanner.end();
  return { all, spans };
}

function scan(input: string, format: "csv" | "ndjson", pieceSize = 3) {
  const { all, spans } = spansOf(input, format, pieceSize);
  return spans.map((span) => text(all, span));
}

describe("bulk files", () => {
  it("finds CSV records across pieces, with quoted newlines, CRLF, blank lines and no final newline", () => {
    const records = scan('a,b\r\n1,"x\ny"\r\n\r\n  \n2,"say ""hi"""\n3,é', "csv");
    expect(records).toEqual(["a,b\r\n", '1,"x\ny"\r\n', '2,"say ""hi"""\n', "3,é"]);
  });

  it("gives every record the line it starts on, counting blank lines and newlines inside quotes", () => {
    const { spans } = spansOf('a,b\r\n1,"x\ny"\r\n\r\n  \n2,"say"\n3,é', "csv", 2);
    expect(spans.map((s) => s.line)).toEqual([1, 2, 6, 7]);
    const ndjson = spansOf('\n{"a":1}\n\n\n{"b":2}', "ndjson", 1);
    expect(ndjson.spans.map((s) => s.line)).toEqual([2, 5]);
  });

  it("counts lines from where a scan begins mid-file", () => {
    const spans: RecordSpan[] = [];
    const scanner = new RecordScanner("csv", (span) => spans.push(span), 0, 41);
    scanner.push(bytes('1,2\n"multi\nline",3\n4,5\n'));
    scanner.end();
    expect(spans.map((s) => s.line)).toEqual([41, 42, 44]);
  });

  it("treats quotes as data in NDJSON", () => {
    expect(scan('{"a":"\\"x"}\n\n{"b":1}\n', "ndjson", 1)).toEqual(['{"a":"\\"x"}\n', '{"b":1}\n']);
  });

  it("plans chunks of rows after the CSV header, with their byte ranges and first row", () => {
    const input = "\uFEFFage,income\n30,100\n31,101\n\n32,102\n33,103\n34,104\n";
    const planner = new ChunkPlanner("csv", 2);
    const all = bytes(input);
    for (let at = 0; at < all.length; at += 5) planner.push(all.subarray(at, at + 5));
    planner.end();
    expect(planner.columns()).toEqual({ columns: ["age", "income"] });
    expect(planner.rows).toBe(5);
    expect(planner.chunks.map((c) => [c.chunk, c.firstRow, c.firstLine, c.rows])).toEqual([
      [0, 1, 2, 2],
      [1, 3, 5, 2],
      [2, 5, 7, 1],
    ]);
    const second = planner.chunks[1] as { offset: number; length: number };
    expect(new TextDecoder().decode(all.subarray(second.offset, second.offset + second.length))).toBe(
      "32,102\n33,103\n",
    );
  });

  it("cuts a chunk of wide records by its bytes: at most chunkRows x RECORD_BYTES", () => {
    const wide = (n: number) => `${JSON.stringify({ age: n, note: "x".repeat(RECORD_BYTES * 2) })}\n`;
    const small = (n: number) => `${JSON.stringify({ age: n })}\n`;
    const all = bytes([wide(1), small(2), small(3), wide(4), wide(5), small(6)].join(""));
    const planner = new ChunkPlanner("ndjson", 3);
    planner.push(all);
    planner.end();
    // 3 rows may hold 3 x RECORD_BYTES: two wide records (each over 2 x RECORD_BYTES) already pass it.
    expect(planner.chunks.map((c) => [c.firstRow, c.rows])).toEqual([
      [1, 3],
      [4, 2],
      [6, 1],
    ]);
    expect(planner.rows).toBe(6);
  });

  it("refuses a CSV header with a duplicate or empty column", () => {
    for (const header of ["age,age\n", "age,,income\n"]) {
      const planner = new ChunkPlanner("csv", 10);
      planner.push(bytes(header));
      planner.end();
      expect(planner.columns()).toEqual({ problem: "the CSV header must name every column once" });
    }
  });

  it("reads records into fields, taking out the client's reference; unreadable records become row errors", () => {
    expect(readRecord("csv", '"A,1",30\n', { row: 7, line: 9 }, ["reference", "age"])).toEqual({
      row: 7,
      line: 9,
      reference: "A,1",
      fields: { age: "30" },
    });
    expect(readRecord("csv", "1,2,3\n", { row: 1, line: 2 }, ["age"])).toMatchObject({
      error: "expected 1 fields, found 3",
    });
    expect(readRecord("ndjson", '{"age":30,"reference":12}', { row: 2, line: 2 }, null)).toEqual({
      row: 2,
      line: 2,
      reference: "12",
      fields: { age: 30 },
    });
    // A column or key named __proto__ is a field like any other (refused later as unknown), not a prototype.
    const proto = readRecord("csv", "x,30\n", { row: 5, line: 6 }, ["__proto__", "age"]);
    expect("fields" in proto && Object.getPrototypeOf(proto.fields)).toBe(Object.prototype);
    expect("fields" in proto && Object.keys(proto.fields)).toEqual(["__proto__", "age"]);
    const jsonProto = readRecord("ndjson", '{"__proto__":"x","reference":"r"}', { row: 6, line: 6 }, null);
    expect("fields" in jsonProto && Object.keys(jsonProto.fields)).toEqual(["__proto__"]);
    expect(readRecord("ndjson", "[1]", { row: 3, line: 3 }, null)).toMatchObject({
      error: "the line is not a JSON object",
    });
    expect(readRecord("ndjson", "{", { row: 4, line: 4 }, null)).toMatchObject({
      error: expect.stringMatching(/^unreadable JSON/),
    });
  });

  it("reads a chunk's CSV records in one pass, and record by record when one of them cannot be parsed", () => {
    const columns = ["reference", "age", "home"];
    const at = (i: number) => ({ row: i + 1, line: i + 2 });
    const texts = [
      'a,30,"rent"\r\n',
      '"b\nc",41,owner\n',
      "d,52,priv\r\n",
      "e,,\n",
      "f,1\r2,x\n",
      "g,63,rent",
    ];
    const whole = readRecords(
      "csv",
      texts,
      texts.map((_, i) => at(i)),
      columns,
    );
    expect(whole).toEqual(texts.map((text, i) => readRecord("csv", text, at(i), columns)));
    expect(whole[1]).toEqual({ row: 2, line: 3, reference: "b\nc", fields: { age: "41", home: "owner" } });
    const broken = ['a,30,"rent"\n', 'b,4"1,owner\n', "c,52,priv\n"];
    const read = readRecords(
      "csv",
      broken,
      broken.map((_, i) => at(i)),
      columns,
    );
    expect(read.map((r) => ("error" in r ? "error" : r.reference))).toEqual(["a", "error", "c"]);
    expect(read[1]).toMatchObject({
      row: 2,
      line: 3,
      error: expect.stringMatching(/^unreadable CSV record/),
    });
  });
});
