import { describe, expect, it } from "vitest";
import { ChunkPlanner } from "../../../src/services/risk/bulk-chunks";
import { RecordScanner, type RecordSpan, readRecord } from "../../../src/services/risk/bulk-format";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (all: Uint8Array, span: RecordSpan) =>
  new TextDecoder().decode(all.subarray(span.offset, span.offset + span.length));

function scan(input: string, format: "csv" | "ndjson", pieceSize = 3) {
  const all = bytes(input);
  const spans: RecordSpan[] = [];
  const scanner = new RecordScanner(format, (span) => spans.push(span));
  for (let at = 0; at < all.length; at += pieceSize) scanner.push(all.subarray(at, at + pieceSize));
  scanner.end();
  return spans.map((span) => text(all, span));
}

describe("bulk files", () => {
  it("finds CSV records across pieces, with quoted newlines, CRLF, blank lines and no final newline", () => {
    const records = scan('a,b\r\n1,"x\ny"\r\n\r\n  \n2,"say ""hi"""\n3,é', "csv");
    expect(records).toEqual(["a,b\r\n", '1,"x\ny"\r\n', '2,"say ""hi"""\n', "3,é"]);
  });

  it("treats quotes as data in NDJSON", () => {
    expect(scan('{"a":"\\"x"}\n\n{"b":1}\n', "ndjson", 1)).toEqual(['{"a":"\\"x"}\n', '{"b":1}\n']);
  });

  it("plans chunks of rows after the CSV header, with their byte ranges and first row", () => {
    const input = "\uFEFFage,income\n30,100\n31,101\n32,102\n33,103\n34,104\n";
    const planner = new ChunkPlanner("csv", 2);
    const all = bytes(input);
    for (let at = 0; at < all.length; at += 5) planner.push(all.subarray(at, at + 5));
    planner.end();
    expect(planner.columns()).toEqual({ columns: ["age", "income"] });
    expect(planner.rows).toBe(5);
    expect(planner.chunks.map((c) => [c.chunk, c.firstRow, c.rows])).toEqual([
      [0, 1, 2],
      [1, 3, 2],
      [2, 5, 1],
    ]);
    const second = planner.chunks[1] as { offset: number; length: number };
    expect(new TextDecoder().decode(all.subarray(second.offset, second.offset + second.length))).toBe(
      "32,102\n33,103\n",
    );
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
    expect(readRecord("csv", '"A,1",30\n', 7, ["reference", "age"])).toEqual({
      row: 7,
      reference: "A,1",
      fields: { age: "30" },
    });
    expect(readRecord("csv", "1,2,3\n", 1, ["age"])).toMatchObject({ error: "expected 1 fields, found 3" });
    expect(readRecord("ndjson", '{"age":30,"reference":12}', 2, null)).toEqual({
      row: 2,
      reference: "12",
      fields: { age: 30 },
    });
    expect(readRecord("ndjson", "[1]", 3, null)).toMatchObject({ error: "the line is not a JSON object" });
    expect(readRecord("ndjson", "{", 4, null)).toMatchObject({
      error: expect.stringMatching(/^unreadable JSON/),
    });
  });
});
