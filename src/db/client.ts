import { Client, neon, Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { AppError } from "../errors";
import { type ReadResults, type Reads, reusable } from "./batch";
import { routeThroughLocalHttp, routeThroughRelay } from "./driver";

/**
 * The drizzle database handle used by repositories. Queries name their tables (the query builder), so the
 * handles carry no schema: drizzle would otherwise rebuild its relational map on every request's handle
 * (a quarter of a millisecond, measured), for a query API nothing here uses.
 */
export type Database = NeonDatabase;

/** A transaction; tenant-scoped repositories take one, so they cannot run outside a tenant's scope. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * Run on every new connection: act as the application role, which row-level security binds (the login role
 * may be a superuser or the tables' owner), in platform scope - authentication has to find a user by
 * e-mail or a token by its hash before any tenant is known. Tenant-scoped work narrows the scope per
 * transaction (`RequestDatabase.tenant`). The relay and Neon both give each connection its own session.
 */
const CONNECTION_SETUP = "SET ROLE finedge_app; SET finedge.scope = 'platform'";

/**
 * What a read-only repository function builds its statement on: a transaction, the WebSocket handle or the
 * HTTP one. It returns the unawaited statement, so the same function serves an awaited query and a batch.
 */
export type Querier = PgDatabase<PgQueryResultHKT>;

/** The drizzle handle over Neon's SQL-over-HTTP endpoint: one fetch per statement or batch. */
export type HttpDatabase = NeonHttpDatabase;

/** Whose rows a batch sees: every tenant's (authentication, before a tenant is known) or one tenant's. */
export type Scope = "platform" | { tenantId: string };

/** Where the database is and how to reach it. */
export interface DatabaseSettings {
  url: string;
  /** Local only: `host:port` of the WebSocket-to-TCP relay standing in for Neon's WebSocket proxy. */
  relay?: string | undefined;
  /** The connection string of the HTTP path (Neon's pooled host); `url` when unset. */
  httpUrl?: string | undefined;
  /** Local only: the server standing in for Neon's SQL-over-HTTP endpoint. */
  httpEndpoint?: string | undefined;
  /** Sent with every HTTP call locally, so the local server can count a request's round trips. */
  requestId?: string | undefined;
  connectTimeoutMs?: number;
}

/**
 * The statements that open every batch. Neon's HTTP pool keeps no per-request session, and does not reset
 * what a previous batch set, so each batch sets its own role and scope, for its transaction only.
 */
function scopeStatements(db: HttpDatabase, scope: Scope): [BatchItem<"pg">, BatchItem<"pg">] {
  return [
    applicationRole(db, {}),
    scope === "platform" ? platformScope(db, {}) : tenantScope(db, { tenantId: scope.tenantId }),
  ];
}
const applicationRole = reusable((db) => db.execute(sql`set local role finedge_app`));
const platformScope = reusable((db) =>
  db.execute(
    sql`select set_config('finedge.scope', 'platform', true), set_config('finedge.tenant_id', '', true)`,
  ),
);
const tenantScope = reusable((db, { tenantId }: { tenantId: string }) =>
  db.execute(
    sql`select set_config('finedge.scope', 'tenant', true), set_config('finedge.tenant_id', ${tenantId}, true)`,
  ),
);

/**
 * The HTTP handles, one per connection string per isolate: a handle holds no connection and no request's
 * state (each batch sets its own scope), and making one costs a fifth of a millisecond.
 */
const httpHandles = new Map<string, HttpDatabase>();

let configuredRelay: string | undefined;
let configuredEndpoint: string | undefined;

/**
 * Locally, a client whose WebSocket names the request it serves, so the relay can count the connections a
 * request opens (tests hold reads to none).
 */
function taggedClient(relay: string, requestId: string): typeof Client {
  return class RequestClient extends Client {
    constructor(config?: ConstructorParameters<typeof Client>[0]) {
      super(config);
      this.neonConfig.wsProxy = (host, port) =>
        `${relay}/v1?address=${host}:${port}&request=${encodeURIComponent(requestId)}`;
    }
  };
}

/** Production leaves the driver's defaults (Neon's endpoint, TLS); only local runs set a relay. */
function configureDriver(relay: string | undefined): void {
  if (!relay || relay === configuredRelay) return;
  routeThroughRelay(relay);
  configuredRelay = relay;
}

/**
 * One request's database access. The connection opens on first use - routes that never touch the
 * database pay nothing - and must be closed when the request ends: a Workers WebSocket cannot outlive
 * the request that opened it.
 */
export class RequestDatabase {
  #pool: Pool | undefined;
  #db: Database | undefined;
  #http: HttpDatabase | undefined;
  #clients = new Set<Client>();
  #afterResponse: Array<() => Promise<void>> = [];

  constructor(private readonly settings: DatabaseSettings | undefined) {}

  /** Whether a database is configured at all. */
  get configured(): boolean {
    return this.settings !== undefined;
  }

  /** The drizzle handle, connecting lazily. */
  get db(): Database {
    if (!this.#db) {
      if (!this.settings) throw new AppError("service_unavailable", "No database is configured.");
      configureDriver(this.settings.relay);
      this.#pool = new Pool({
        connectionString: this.settings.url,
        max: 1,
        connectionTimeoutMillis: this.settings.connectTimeoutMs ?? 10_000,
      });
      // The driver's Pool sets its own `Client` after construction (ignoring the `Client` option), so the
      // tagged one is put in its place here, before the first connection.
      if (this.settings.relay && this.settings.requestId) {
        (this.#pool as unknown as { Client: typeof Client }).Client = taggedClient(
          this.settings.relay,
          this.settings.requestId,
        );
      }
      this.#pool.on("connect", (client: Client) => {
        this.#clients.add(client);
        // node-postgres queues queries per client, so this runs before any query of the request. If it
        // fails, the connection is closed rather than left running with the login role's rights.
        client.query(CONNECTION_SETUP).catch(() => client.end().catch(() => undefined));
      });
      this.#db = drizzle({ client: this.#pool });
    }
    return this.#db;
  }

  /** The handle over HTTP (no connection to open: the runtime reuses its HTTP connections across requests). */
  get http(): HttpDatabase {
    if (!this.#http) {
      const settings = this.settings;
      if (!settings) throw new AppError("service_unavailable", "No database is configured.");
      if (settings.httpEndpoint && settings.httpEndpoint !== configuredEndpoint) {
        routeThroughLocalHttp(settings.httpEndpoint);
        configuredEndpoint = settings.httpEndpoint;
      }
      const url = settings.httpUrl ?? settings.url;
      let handle = httpHandles.get(url);
      if (!handle) {
        if (httpHandles.size >= 8) httpHandles.clear();
        handle = drizzleHttp({ client: neon(url) });
        httpHandles.set(url, handle);
      }
      this.#http = handle;
    }
    return this.#http;
  }

  /**
   * Runs the statements `build` makes in one batch - one transaction in one round trip - in `scope`, as the
   * application role, and gives back each statement's result by name. The statements must not depend on
   * each other's results in the Worker (see db/batch.ts).
   */
  async read<R extends Reads>(scope: Scope, build: (db: HttpDatabase) => R): Promise<ReadResults<R>> {
    const db = this.http;
    const reads = build(db);
    const names = Object.keys(reads);
    const items = [
      ...scopeStatements(db, scope),
      ...names.map((name) => (reads[name] as Reads[string]).item),
    ];
    const results = (await db.batch(items as [BatchItem<"pg">, ...BatchItem<"pg">[]])) as unknown[];
    return Object.fromEntries(
      names.map((name, index) => [name, (reads[name] as Reads[string]).map(results[index + 2])]),
    ) as ReadResults<R>;
  }

  /**
   * Runs `work` in a transaction that sees only `tenantId`'s rows: row-level security is the second wall
   * behind the repositories' own tenant filters, so a query that forgets its filter still cannot leak.
   */
  async tenant<T>(tenantId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(
        sql`select set_config('finedge.scope', 'tenant', true), set_config('finedge.tenant_id', ${tenantId}, true)`,
      );
      return work(tx);
    });
  }

  /**
   * Queues work for after the response, on this request's connection: `settle()` runs it once the response
   * is out, then closes. The work must handle its own errors (they can no longer reach the client).
   */
  afterResponse(work: () => Promise<void>): void {
    this.#afterResponse.push(work);
  }

  /** Runs the work queued for after the response, in order, then closes the connection. */
  async settle(): Promise<void> {
    try {
      // A turn of the event loop first: the response leaves before the work's first query goes out.
      if (this.#afterResponse.length > 0) await new Promise((resolve) => setTimeout(resolve, 0));
      for (let work = this.#afterResponse.shift(); work; work = this.#afterResponse.shift()) {
        await work().catch(() => undefined); // the queuer logs its own failures
      }
    } finally {
      await this.close();
    }
  }

  /** Closes the connection if one was opened. Safe to call more than once. */
  async close(): Promise<void> {
    const pool = this.#pool;
    const clients = [...this.#clients];
    this.#pool = undefined;
    this.#db = undefined;
    this.#http = undefined;
    this.#clients.clear();
    if (!pool) return;
    await pool.end();
    // The driver's end() sends Terminate but leaves its WebSocket for the server to close, and an open
    // socket keeps an invocation without a response (a queue batch) from ever finishing: close it here,
    // once the driver's coalesced writes (flushed on a zero-delay timer) - Terminate among them - are out.
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const client of clients) {
      try {
        (client as unknown as { connection?: { stream?: { end?: () => void } } }).connection?.stream?.end?.();
      } catch {
        // already closed by the server: nothing left to release
      }
    }
  }
}
