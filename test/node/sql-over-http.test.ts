import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPostgres, startEmbeddedPostgres } from "../../tools/embedded-postgres";
import { inlineParameters, type SqlOverHttp, startSqlOverHttp } from "../../tools/sql-over-http";

const quoting = { escapeLiteral: pg.Client.prototype.escapeLiteral };

describe("inlineParameters", () => {
  it("puts each parameter where its placeholder stands, as a quoted literal", () => {
    expect(
      inlineParameters(quoting, {
        query: "select $1, $2, $3, $10",
        params: ["o'k", "a\\b", null, ...Array(6), 7],
      }),
    ).toBe("select 'o''k',  E'a\\\\b', NULL, '7'");
  });

  it("leaves placeholders inside strings, identifiers, dollar quotes and comments alone", () => {
    const query = [
      "select '$1', 'it''s $1', E'\\'$1', \"col$1\", $$ $1 $$, $t$ $1 $t$, a$1",
      "-- $1",
      "/* $1 /* $1 */ $1 */ $1",
    ].join("\n");
    expect(inlineParameters(quoting, { query, params: ["x"] })).toBe(
      [
        "select '$1', 'it''s $1', E'\\'$1', \"col$1\", $$ $1 $$, $t$ $1 $t$, a$1",
        "-- $1",
        "/* $1 /* $1 */ $1 */ 'x'",
      ].join("\n"),
    );
  });

  it("refuses a placeholder with no parameter", () => {
    expect(() => inlineParameters(quoting, { query: "select $1, $2", params: ["x"] })).toThrow(RangeError);
  });
});

describe("the SQL-over-HTTP stand-in", () => {
  let postgres: LocalPostgres;
  let server: SqlOverHttp;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(server.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", "neon-connection-string": postgres.url, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
    server = await startSqlOverHttp({ databaseUrl: postgres.url });
  });
  afterAll(async () => {
    await server.close();
    await postgres.close();
  });

  it("runs a batch in one transaction, with parameters typed by where they stand", async () => {
    const { status, body } = await post({
      queries: [
        { query: "select set_config('app.x', $1, true)", params: ["it's \\ $1"] },
        {
          query: "select current_setting('app.x') as x, $1::int + 1 as n, $2 = any($3::text[]) as hit",
          params: [41, "b", "{a,b}"],
        },
        { query: "select 1 as one limit $1", params: ["5"] },
      ],
    });
    expect(status).toBe(200);
    const results = body.results as Array<{ rows: unknown[][]; fields: Array<{ name: string }> }>;
    expect(results).toHaveLength(3);
    expect(results[1]?.rows).toEqual([["it's \\ $1", "42", "t"]]);
    expect(results[1]?.fields.map((field) => field.name)).toEqual(["x", "n", "hit"]);
    expect(results[2]?.rows).toEqual([["1"]]);
  });

  it("rolls the whole batch back when one statement fails, and answers with its error", async () => {
    await post({ query: "create table if not exists stand_in_probe (id int primary key)" });
    const { status, body } = await post({
      queries: [
        { query: "insert into stand_in_probe values ($1)", params: [1] },
        { query: "insert into stand_in_probe values ($1)", params: [1] },
      ],
    });
    expect(status).toBe(400);
    expect(body.code).toBe("23505");
    const count = await post({ query: "select count(*) from stand_in_probe" });
    expect((count.body.rows as unknown[][])[0]).toEqual(["0"]);
  });
});
