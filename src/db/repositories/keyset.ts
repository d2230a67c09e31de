import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/**
 * Keyset paging on (created_at, id), newest first. Times are compared at millisecond precision: a cursor
 * carries a JavaScript Date, and microsecond timestamps would skip rows created within its millisecond.
 */
export function keyset(createdAt: AnyColumn, id: AnyColumn) {
  const createdMs = sql`date_trunc('milliseconds', ${createdAt})`;
  return {
    order: [sql`${createdMs} desc`, sql`${id} desc`] as SQL[],
    before: (position: { createdAt: Date; id: string }): SQL =>
      sql`(${createdMs}, ${id}) < (${position.createdAt.toISOString()}::timestamptz, ${position.id}::uuid)`,
  };
}
