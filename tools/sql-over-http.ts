import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

/**
 * Stands in for Neon's SQL-over-HTTP endpoint on a developer machine: the Worker's `neon()` driver posts a
 * query, or a batch run as one non-interactive transaction, and gets the rows back as Postgres text in one
 * response - one round trip per call, as in production. Behind it is an ordinary connection pool (to the
 * embedded PGlite or to a real PostgreSQL) per connection string the driver names (`Neon-Connection-String`,
 * hosts from an allow-list only: it must not become an open proxy); like Neon's, the pool keeps session state
 * between calls, so every batch must set its own scope with `SET LOCAL` / `set_config(..., true)`.
 *
 * The protocol (request and response shapes, headers) is the one `@neondatabase/serverless` 1.2.0 speaks;
 * the server side of it in production is Neon's proxy (`proxy/src/serverless/sql_over_http.rs`).
 */
export interface SqlOverHttp {
  /** The URL the Worker's `SQL_HTTP_ENDPOINT` binding takes. */
  endpoint: string;
  port: number;
  /** Calls made so far for one request id (the `X-Request-Id` header the Worker forwards). */
  calls: (requestId: string) => number;
  close: () => Promise<void>;
}

export interface SqlOverHttpOptions {
  /** The Postgres the Worker uses; calls may name a database on its host or on loopback only. */
  databaseUrl: string;
  port?: number;
  /** Extra round-trip time in ms (`LOCAL_DB_RTT_MS`): each call waits half of it before and half after. */
  rttMs?: number;
  /** Connections in the pool. */
  poolSize?: number;
}

interface Query {
  query: string;
  params?: unknown[];
}

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

// Fields of a Postgres error the driver copies onto its own error (its `hi` list).
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

// Every value stays Postgres text: the driver parses it by type on its side, as it does Neon's answers.
const TEXT = { getTypeParser: () => (value: string) => value };
const MAX_BODY = 64 * 1024 * 1024;
const MAX_TRACKED_REQUESTS = 100_000;

const sleep = (ms: number) =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** A parameter as Postgres text: the driver already serialised dates, arrays and objects on its side. */
const param = (value: unknown) => (value === null || value === undefined ? null : value);

function shape(result: pg.QueryResult<unknown[]>) {
  return {
    command: result.command,
    rowCount: result.rowCount,
    fields: result.fields.map((field) => ({
      name: field.name,
      tableID: field.tableID,
      columnID: field.columnID,
      dataTypeID: field.dataTypeID,
      dataTypeSize: field.dataTypeSize,
      dataTypeModifier: field.dataTypeModifier,
      format: "text",
    })),
    rows: result.rows,
  };
}

/**
 * A statement with its `$n` placeholders replaced by its parameters as quoted literals (`NULL` for null), for
 * the simple-query protocol. Postgres types an untyped parameter and a quoted literal alike (both start as
 * `unknown` and take their type from where they stand). Placeholders inside strings, quoted identifiers,
 * dollar-quoted bodies and comments are left alone.
 */
export function inlineParameters(client: Pick<pg.ClientBase, "escapeLiteral">, query: Query): string {
  const { query: text, params = [] } = query;
  if (params.length === 0) return text;
  let out = "";
  let i = 0;
  const copyUntil = (end: number) => {
    out += text.slice(i, end);
    i = end;
  };
  const special = /['"$]|--|\/\*/g;
  while (i < text.length) {
    special.lastIndex = i;
    const found = special.exec(text);
    if (!found) {
      copyUntil(text.length);
      break;
    }
    copyUntil(found.index);
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === "'") {
      // A string; E'...' strings escape with backslashes as well as doubled quotes.
      const escaped = /[eE]/.test(text[i - 1] ?? "") && !/[\w$]/.test(text[i - 2] ?? "");
      let j = i + 1;
      while (j < text.length) {
        if (escaped && text[j] === "\\") j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      copyUntil(Math.min(j + 1, text.length));
    } else if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      copyUntil(end < 0 ? text.length : end + 1);
    } else if (ch === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      copyUntil(end < 0 ? text.length : end);
    } else if (ch === "/" && next === "*") {
      let depth = 0;
      let j = i;
      do {
        if (text.startsWith("/*", j)) {
          depth++;
          j += 2;
        } else if (text.startsWith("*/", j)) {
          depth--;
          j += 2;
        } else j++;
      } while (depth > 0 && j < text.length);
      copyUntil(j);
    } else if (ch === "$" && !/[\w$]/.test(text[i - 1] ?? "")) {
      const placeholder = /^\$(\d+)/.exec(text.slice(i, i + 12));
      const tag = placeholder ? null : /^\$(?:[A-Za-z_][\w]*)?\$/.exec(text.slice(i, i + 64));
      if (placeholder) {
        const value = params[Number(placeholder[1]) - 1];
        if (value === undefined && Number(placeholder[1]) > params.length) {
          throw new RangeError(`no parameter for ${placeholder[0]}`);
        }
        out += value === null || value === undefined ? "NULL" : client.escapeLiteral(String(value));
        i += placeholder[0].length;
      } else if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        copyUntil(end < 0 ? text.length : end + tag[0].length);
      } else copyUntil(i + 1);
    } else copyUntil(i + 1);
  }
  return out;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new RangeError("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts the server on loopback (`port` 0: any free port). */
export async function startSqlOverHttp(options: SqlOverHttpOptions): Promise<SqlOverHttp> {
  const allowed = new Set([new URL(options.databaseUrl).hostname, "127.0.0.1", "localhost"]);
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connectionString: string | undefined): pg.Pool => {
    if (!connectionString) throw new TypeError("the Neon-Connection-String header is required");
    let pool = pools.get(connectionString);
    if (!pool) {
      if (!allowed.has(new URL(connectionString).hostname)) throw new TypeError("host not allowed");
      pool = new pg.Pool({ connectionString, max: options.poolSize ?? 16, types: TEXT });
      // A connection that fails in the pool is dropped by the pool; the error must not end the process.
      pool.on("error", () => undefined);
      pools.set(connectionString, pool);
    }
    return pool;
  };
  const oneWay = (options.rttMs ?? 0) / 2;
  // Per request id, each call's statements (their SQL, for tests that tell reads from writes).
  const counts = new Map<string, string[][]>();

  const run = (client: pg.ClientBase, query: Query) =>
    client.query<unknown[]>({ text: query.query, values: (query.params ?? []).map(param), rowMode: "array" });

  async function execute(request: IncomingMessage, body: { queries?: Query[] } & Partial<Query>) {
    const pool = poolFor(request.headers["neon-connection-string"] as string | undefined);
    const client = await pool.connect();
    let broken = false;
    try {
      if (!Array.isArray(body.queries)) {
        if (typeof body.query !== "string") throw new TypeError("a query or a batch of queries is required");
        return shape(await run(client, body as Query));
      }
      const level = ISOLATION_LEVELS[String(request.headers["neon-batch-isolation-level"])];
      const readOnly = request.headers["neon-batch-read-only"] === "true";
      const deferrable = request.headers["neon-batch-deferrable"] === "true";
      const begin = [
        "BEGIN",
        level && `ISOLATION LEVEL ${level}`,
        readOnly && "READ ONLY",
        deferrable && "DEFERRABLE",
      ]
        .filter(Boolean)
        .join(" ");
      // The whole batch goes to Postgres as one simple query - BEGIN, every statement with its parameters
      // as literals, COMMIT - so a batch costs one trip to Postgres, as it costs one to Neon's proxy.
      const statements = body.queries.map((query) => inlineParameters(client, query));
      try {
        const answered = (await client.query({
          text: [begin, ...statements, "COMMIT"].join(";\n"),
          rowMode: "array",
        })) as pg.QueryResult<unknown[]> | Array<pg.QueryResult<unknown[]>>;
        const all = Array.isArray(answered) ? answered : [answered];
        return { results: all.slice(1, -1).map(shape) };
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      }
    } catch (error) {
      if (!(error instanceof Error) || !("code" in error)) broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const requestId = request.headers["x-request-id"];
    if (request.method === "GET" && request.url?.startsWith("/calls/")) {
      const id = decodeURIComponent(request.url.slice("/calls/".length));
      response.writeHead(200, { "content-type": "application/json" });
      const calls = counts.get(id) ?? [];
      response.end(JSON.stringify({ requestId: id, calls: calls.length, statements: calls }));
      return;
    }
    if (request.method !== "POST" || !request.url?.startsWith("/sql")) {
      response.writeHead(404).end();
      return;
    }
    let body: { queries?: Query[] } & Partial<Query>;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: "the body is not JSON" }));
      return;
    }
    if (typeof requestId === "string") {
      if (counts.size >= MAX_TRACKED_REQUESTS) counts.clear();
      const statements = (body.queries ?? [body]).map((q) => String(q.query ?? ""));
      counts.set(requestId, [...(counts.get(requestId) ?? []), statements]);
    }
    await sleep(oneWay);
    let status = 200;
    let payload: unknown;
    try {
      payload = await execute(request, body);
    } catch (error) {
      status = 400;
      const fields = error as Record<string, unknown>;
      payload = {
        message: error instanceof Error ? error.message : String(error),
        ...Object.fromEntries(
          ERROR_FIELDS.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]]),
        ),
      };
    }
    await sleep(oneWay);
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(payload));
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  // Node closes an idle kept-alive connection after 5 s by default; a client that reuses it at that moment
  // (workerd pools them) sees "Network connection lost". Neon's endpoint keeps them far longer.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    port,
    calls: (requestId) => counts.get(requestId)?.length ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}
