import { getTableName, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../client";

/** A column holding sealed values, and the uuid primary key of its table. */
export interface SealedColumnRef {
  table: PgTable;
  id: PgColumn;
  value: PgColumn;
}

/** What needs sealing: plaintext only (the staged move), or every value not under `kid` (rotation). */
export type SealScope = { plaintext: true } | { notUnderKid: string };

const parts = (column: SealedColumnRef) => ({
  table: sql.identifier(getTableName(column.table)),
  id: sql.identifier(column.id.name),
  value: sql.identifier(column.value.name),
});

/**
 * The next rows of `column` to seal, in id order after `afterId`. The plaintext test is written as the
 * partial index of migration 0010 states it, so once every value is sealed the cron's probe reads an
 * empty index instead of the table.
 */
export async function valuesToSeal(
  db: Database,
  column: SealedColumnRef,
  scope: SealScope,
  afterId: string | undefined,
  limit: number,
): Promise<Array<{ id: string; value: string }>> {
  const c = parts(column);
  const needsSealing =
    "plaintext" in scope
      ? sql`${c.value} not like 'v1.%'`
      : sql`left(${c.value}, ${scope.notUnderKid.length + 4}) <> ${`v1.${scope.notUnderKid}.`}`;
  const after = afterId ? sql` and ${c.id} > ${afterId}::uuid` : sql``;
  const { rows } = await db.execute<{ id: string; value: string }>(
    sql`select ${c.id}::text as id, ${c.value} as value from ${c.table}
        where ${c.value} is not null and ${needsSealing}${after}
        order by ${c.id} limit ${limit}`,
  );
  return rows;
}

/**
 * Replaces values in one statement, each only if the row still holds the value it was computed from (a
 * concurrent re-enrolment or delivery wins). Returns how many rows changed.
 */
export async function replaceValues(
  db: Database,
  column: SealedColumnRef,
  changes: Array<{ id: string; from: string; to: string }>,
): Promise<number> {
  if (changes.length === 0) return 0;
  const c = parts(column);
  const values = sql.join(
    changes.map((change) => sql`(${change.id}::uuid, ${change.from}::text, ${change.to}::text)`),
    sql`, `,
  );
  const result = await db.execute(
    sql`update ${c.table} set ${c.value} = v.sealed
        from (values ${values}) as v(id, old, sealed)
        where ${c.table}.${c.id} = v.id and ${c.table}.${c.value} = v.old`,
  );
  return result.rowCount ?? 0;
}

/** How many values of `column` are plaintext, and how many are sealed under each key id. */
export async function countByKey(db: Database, column: SealedColumnRef): Promise<Record<string, number>> {
  const c = parts(column);
  const { rows } = await db.execute<{ kid: string; count: string }>(
    sql`select case when ${c.value} like 'v1.%' then split_part(${c.value}, '.', 2) else 'plaintext' end as kid,
               count(*)::text as count
        from ${c.table} where ${c.value} is not null group by 1 order by 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.kid, Number(row.count)]));
}

/** Unused backup codes by pepper id ('legacy' for the unsalted SHA-256 of codes issued before peppers). */
export async function countBackupCodesByPepper(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.execute<{ pepper: string; count: string }>(
    sql`select case when code_hash like 'h1.%' then split_part(code_hash, '.', 2) else 'legacy' end as pepper,
               count(*)::text as count
        from backup_codes where used_at is null group by 1 order by 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.pepper, Number(row.count)]));
}
