import { type AnyColumn, desc, lt, type SQL, sql } from "drizzle-orm";

/** Where a page ended: the last row's time and id (most lists). */
export type TimePosition = { createdAt: Date; id: string };
/** Where a page ended: the last row's sequence number (the audit trail, the ledger journal). */
export type SeqPosition = { seq: number };

/** A list's keyset order, newest first, and the condition for the rows after a page's last row. */
export interface Keyset<P> {
  order: SQL[];
  /** The rows that follow `position` in `order`; no condition for the first page. */
  before: {
    (position: P): SQL;
    (position: P | undefined): SQL | undefined;
  };
}

/**
 * Keyset paging on (time, id), newest first. Times are compared at millisecond precision: a cursor carries a
 * JavaScript Date, and comparing it with microsecond timestamps would skip or repeat rows created within its
 * millisecond. A `date` column (unit "day") is compared as a date.
 */
export function keyset(
  time: AnyColumn,
  id: AnyColumn,
  options: { unit?: "milliseconds" | "day" } = {},
): Keyset<TimePosition> {
  const byDay = options.unit === "day";
  const key = byDay ? sql`${time}` : sql`date_trunc('milliseconds', ${time})`;
  return {
    order: [sql`${key} desc`, sql`${id} desc`],
    before: ((position: TimePosition | undefined) => {
      if (!position) return undefined;
      const at = position.createdAt.toISOString();
      const bound = byDay ? sql`${at.slice(0, 10)}::date` : sql`${at}::timestamptz`;
      return sql`(${key}, ${id}) < (${bound}, ${position.id}::uuid)`;
    }) as Keyset<TimePosition>["before"],
  };
}

/** Keyset paging on a unique sequence number, highest first. */
export function seqKeyset(seq: AnyColumn): Keyset<SeqPosition> {
  return {
    order: [desc(seq)],
    before: ((position: SeqPosition | undefined) =>
      position ? lt(seq, position.seq) : undefined) as Keyset<SeqPosition>["before"],
  };
}
