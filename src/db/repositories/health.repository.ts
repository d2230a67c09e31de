import { sql } from "drizzle-orm";
import type { Database } from "../client";

/** What the database says about itself for the readiness check. */
export interface DatabaseStatus {
  serverVersion: string;
  /** `created_at` of each applied migration, as drizzle's migrator recorded it. */
  appliedMigrations: number[];
}

/** Reads the server version and the applied migrations; the first query doubles as the round-trip probe. */
export async function readDatabaseStatus(db: Database): Promise<DatabaseStatus> {
  const probe = await db.execute<{ version: string; recorded: boolean }>(
    sql`select current_setting('server_version') as version,
               to_regclass('drizzle.__drizzle_migrations') is not null as recorded`,
  );
  const row = probe.rows[0];
  if (!row) throw new Error("database probe returned no row");
  if (!row.recorded) return { serverVersion: row.version, appliedMigrations: [] };
  const applied = await db.execute<{ created_at: string }>(
    sql`select created_at from drizzle.__drizzle_migrations order by created_at`,
  );
  return { serverVersion: row.version, appliedMigrations: applied.rows.map((r) => Number(r.created_at)) };
}
