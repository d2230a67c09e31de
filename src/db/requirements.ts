/**
 * Conditions inside a write's batch (finedge_require, migrations/0014): a batch is one transaction in one
 * round trip, so a check that depends on what an earlier statement of it did - a claim that found nothing to
 * claim - is stated as a statement of its own, and a false one aborts the whole batch. The Worker turns the
 * database's refusal back into the caller's.
 */
import { type SQL, sql } from "drizzle-orm";
import { AppError } from "../errors";
import type { Querier } from "./client";

/** A statement that aborts its batch with `code` unless `condition` holds. */
export const requirement = (db: Querier, condition: SQL, code: string) =>
  db.execute(sql`select finedge_require(${condition}, ${code})`);

const PREFIX = "finedge_require:";

/** The code of the requirement that aborted a batch, if that is what `error` is. */
export function requirementOf(error: unknown): string | undefined {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const pg = e?.code ? e : e?.cause;
  if (pg?.code !== "P0001" || !pg.message?.startsWith(PREFIX)) return undefined;
  return pg.message.slice(PREFIX.length);
}

/**
 * Runs a write and answers a failed requirement with the refusal named for its code; any other error passes
 * through.
 */
export async function meetingRequirements<T>(
  refusals: Record<string, () => Error>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const refusal = refusals[requirementOf(error) ?? ""];
    throw refusal ? refusal() : error;
  }
}

/**
 * Runs a write decided on a read until what it read still holds when it is written (a `stale` requirement
 * fails the batch otherwise), at most four times; then 409 with `stale` as its detail.
 */
export async function asRead<T>(stale: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (requirementOf(error) !== "stale") throw error;
    }
  }
  throw new AppError("conflict", stale, { headers: { "Retry-After": "1" } });
}
