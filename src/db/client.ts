import { Pool } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { AppError } from "../errors";
import { routeThroughRelay } from "./driver";
import * as schema from "./schema";

/** The drizzle database handle used by repositories. */
export type Database = NeonDatabase<typeof schema>;

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
      this.#db = drizzle({ client: this.#pool, schema });
    }
    return this.#db;
  }

  /** Closes the connection if one was opened. Safe to call more than once. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    this.#db = undefined;
    if (pool) await pool.end();
  }
}
