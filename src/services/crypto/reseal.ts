/**
 * Moves stored secrets to the current key: plaintext left from before encryption (the cron and
 * `npm run secrets:encrypt`), or values under an older key after one was added (`npm run secrets:rotate`).
 * Batches of rows are read in id order and written back in one statement each, every row only if it still
 * holds the value read (a concurrent change wins and is counted as skipped).
 */
import type { Database } from "../../db/client";
import {
  replaceValues,
  type SealedColumnRef,
  type SealScope,
  valuesToSeal,
} from "../../db/repositories/sealed-values.repository";
import { openOrPlain, type SealingKeys, seal } from "./sealed";
import { SEALED_COLUMNS } from "./secrets-at-rest";

/** A column to (re)seal: where it is, what to call it in reports, and its associated data per row. */
export interface ResealTarget extends SealedColumnRef {
  name: string;
  context: (id: string) => string;
}

/** What a pass did to one column. */
export interface ResealResult {
  column: string;
  /** Values now sealed under the current key. */
  sealed: number;
  /** Rows changed by someone else between the read and the write (already handled by that change). */
  skipped: number;
  /** Values that could not be opened (their key left the ring, or they were altered); left as they are. */
  failed: number;
}

export interface ResealOptions {
  /** `plaintext`: seal only values stored in the clear; `rotate`: also re-seal values under older keys. */
  mode: "plaintext" | "rotate";
  batchSize?: number;
  /** Stop after this many rows per column (the cron keeps each run short); unbounded by default. */
  maxRows?: number;
  /** Told about each value that cannot be opened: the column and row id, never the value. */
  onFailure?: (column: string, id: string, error: unknown) => void;
}

/** One column, batch by batch, until no row is left or `maxRows` is reached. */
export async function resealColumn(
  db: Database,
  keys: SealingKeys,
  column: ResealTarget,
  { mode, batchSize = 200, maxRows = Number.POSITIVE_INFINITY, onFailure }: ResealOptions,
): Promise<ResealResult> {
  const result: ResealResult = { column: column.name, sealed: 0, skipped: 0, failed: 0 };
  const scope: SealScope = mode === "plaintext" ? { plaintext: true } : { notUnderKid: keys.currentKid };
  let afterId: string | undefined;
  let seen = 0;
  while (seen < maxRows) {
    const rows = await valuesToSeal(db, column, scope, afterId, Math.min(batchSize, maxRows - seen));
    if (rows.length === 0) break;
    seen += rows.length;
    afterId = rows[rows.length - 1]?.id;
    const changes: Array<{ id: string; from: string; to: string }> = [];
    for (const row of rows) {
      try {
        const plaintext = await openOrPlain(keys, row.value, column.context(row.id));
        changes.push({
          id: row.id,
          from: row.value,
          to: await seal(keys, plaintext, column.context(row.id)),
        });
      } catch (error) {
        result.failed += 1;
        onFailure?.(column.name, row.id, error);
      }
    }
    const written = await replaceValues(db, column, changes);
    result.sealed += written;
    result.skipped += changes.length - written;
  }
  return result;
}

/** Every sealed column, one after the other. */
export async function resealAll(
  db: Database,
  keys: SealingKeys,
  options: ResealOptions,
): Promise<ResealResult[]> {
  const results: ResealResult[] = [];
  for (const column of SEALED_COLUMNS) results.push(await resealColumn(db, keys, column, options));
  return results;
}
