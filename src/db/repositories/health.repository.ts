import { sql } from "drizzle-orm";
import { firstRow, type Read, read } from "../batch";
import type { HttpDatabase } from "../client";

/** What the database says about itself for the readiness check. */
export interface DatabaseStatus {
  serverVersion: string;
  /** `created_at` of each applied migration, as drizzle's migrator recorded it. */
  appliedMigrations: number[];
}

/**
 * The server version and the applied migrations in one statement, which doubles as the round-trip probe. The
 * migrations table is read through `query_to_xml` only when it exists: named directly, a missing table would
 * fail the whole statement instead of reporting every migration pending.
 */
export function databaseStatus(db: HttpDatabase): Read<DatabaseStatus> {
  return read(
    db.execute(
      sql`select current_setting('server_version') as version,
                 case when to_regclass('drizzle.__drizzle_migrations') is null then null
                      else query_to_xml('select created_at from drizzle.__drizzle_migrations order by created_at',
                                        false, false, '')::text end as applied`,
    ),
    (raw) => {
      const row = firstRow<{ version: string; applied: string | null }>()(raw);
      if (!row) throw new Error("database probe returned no row");
      const applied = [...(row.applied ?? "").matchAll(/<created_at>(\d+)<\/created_at>/g)].map((m) =>
        Number(m[1]),
      );
      return { serverVersion: row.version, appliedMigrations: applied };
    },
  );
}
