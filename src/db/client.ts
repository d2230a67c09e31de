import { type Client, Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { AppError } from "../errors";
import { routeThroughRelay } from "./driver";
import * as schema from "./schema";

/** The drizzle database handle used by repositories. */
export type Database = NeonDatabase<typeof schema>;

/** A transaction; tenant-scoped repositories take one, so they cannot run outside a tenant's scope. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * Run on every new connection: act as the application role, which row-level security binds (the login role
 * may be a superuser or the tables' owner), in platform scope - authentication has to find a user by
 * e-mail or a token by its hash before any tenant is known. Tenant-scoped work narrows the scope per
 * transaction (`RequestDatabase.tenant`). The relay and Neon both give each connection its own session.
 */
const CONNECTION_SETUP = "SET ROLE finedge_app; SET finedge.scope = 'platform'";

/** Where the database is and how to reach it. */
export interface DatabaseSettings {
  url: string;
  /** Local only: `host:port` of the WebSocket-to-TCP relay standing in for Neon's WebSocket proxy. */
  relay?: string | undefined;
  connectTimeoutMs?: number;
}

let configuredRelay: string | undefined;

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
      this.#pool.on("connect", (client: Client) => {
        this.#clients.add(client);
        // node-postgres queues queries per client, so this runs before any query of the request. If it
        // fails, the connection is closed rather than left running with the login role's rights.
        client.query(CONNECTION_SETUP).catch(() => client.end().catch(() => undefined));
      });
      this.#db = drizzle({ client: this.#pool, schema });
    }
    return this.#db;
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
