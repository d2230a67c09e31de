/**
 * Uniqueness is judged by the database's unique indexes, not by a read before the write: two concurrent
 * writers cannot both pass an index. These helpers turn its verdict (Postgres unique_violation, 23505) into
 * the caller's domain error.
 */

interface PgError {
  code?: string;
  constraint?: string;
  cause?: PgError;
}

/** The driver's error: drizzle wraps it as the cause of its own. */
const driverError = (error: unknown): PgError | undefined => {
  const e = error as PgError | undefined;
  return e?.code ? e : e?.cause;
};

/** A unique violation, on one of `constraints` when any are named. */
export function isUniqueViolation(error: unknown, constraints?: readonly string[]): boolean {
  const pg = driverError(error);
  if (pg?.code !== "23505") return false;
  return constraints === undefined || (pg.constraint !== undefined && constraints.includes(pg.constraint));
}

/**
 * Runs a write and answers a unique violation on one of `constraints` with `conflict()`; any other error
 * passes through. Wrap the whole transaction: the violation aborts it, so the translation happens once it
 * has rolled back.
 */
export async function unlessDuplicate<T>(
  constraints: readonly string[],
  conflict: () => Error,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isUniqueViolation(error, constraints) ? conflict() : error;
  }
}
