import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { servePGlite } from "./pglite-server";

/** A Postgres reachable over TCP, and how to stop it. */
export interface LocalPostgres {
  url: string;
  host: string;
  close: () => Promise<void>;
}

/**
 * Real Postgres compiled to WASM (PGlite), served on a loopback TCP port so the Neon driver reaches it
 * exactly as it reaches Neon. `dataDir` keeps data between runs; without it the database lives in memory.
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<LocalPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  // PGlite has one backend: the server lends it to one connection at a time, for a whole transaction if one is open.
  const server = await servePGlite(db, { host: "127.0.0.1", port: options.port ?? 0, maxConnections: 256 });
  return {
    url: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
    host: "127.0.0.1",
    async close() {
      await server.close();
      await db.close();
    },
  };
}
