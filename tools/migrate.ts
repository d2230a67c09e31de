import { fileURLToPath } from "node:url";
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import ws from "ws";
import { routeThroughRelay } from "../src/db/driver";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

/** Whether `url` names a Neon endpoint, reached through Neon's own WebSocket proxy rather than a relay. */
export const isNeonUrl = (url: string): boolean => new URL(url).hostname.endsWith(".neon.tech");

/**
 * Applies every pending migration in migrations/ with the same driver the Worker uses, recording each in
 * drizzle.__drizzle_migrations. A plain Postgres is reached through a relay (`relay` = host:port).
 */
export async function applyMigrations(url: string, relay?: string): Promise<void> {
  neonConfig.webSocketConstructor = ws;
  // Node-side only: without this each query waits for a write-coalescing tick.
  neonConfig.coalesceWrites = false;
  if (relay) routeThroughRelay(relay);
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await pool.end();
  }
}
