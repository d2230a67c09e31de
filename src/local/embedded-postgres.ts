import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

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
  // PGlite has one backend; the socket server queues statements from many connections onto it.
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: options.port ?? 0,
    maxConnections: 64,
  });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    host: "127.0.0.1",
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
