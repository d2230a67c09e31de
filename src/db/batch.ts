import { fillPlaceholders, is, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { NeonHttpDatabase } from "drizzle-orm/neon-http";
import type { Querier } from "./client";

/**
 * One statement of a batch and how its raw result becomes what the caller gets. Statements in one batch
 * run in one transaction in one round trip, so none may depend on another's result in the Worker: what
 * must, goes into SQL (a subquery or a CTE).
 */
export interface Read<T> {
  readonly item: BatchItem<"pg">;
  readonly map: (raw: unknown) => T;
}

/** A statement whose result is used as drizzle returns it, or through `map`. */
export function read<Q extends BatchItem<"pg">>(item: Q): Read<Awaited<Q>>;
export function read<Q extends BatchItem<"pg">, T>(item: Q, map: (raw: Awaited<Q>) => T): Read<T>;
export function read(item: BatchItem<"pg">, map?: (raw: unknown) => unknown): Read<unknown> {
  return { item, map: map ?? ((raw) => raw) };
}

/** Named statements of one batch. */
export type Reads = Record<string, Read<unknown>>;

/** What a batch of `Reads` gives back, by name. */
export type ReadResults<R extends Reads> = { [K in keyof R]: R[K] extends Read<infer T> ? T : never };

/** The first row of a raw `execute` result (`{ rows }`), if any. */
export const firstRow =
  <T>() =>
  (raw: unknown): T | undefined =>
    (raw as { rows: T[] }).rows[0];

/**
 * The `result` column of a statement's first row, for a database function that answers one JSON value: the
 * driver hands it back parsed or as text. Throws when there is none.
 */
export const jsonResult =
  <T>() =>
  (raw: unknown): T => {
    const value = firstRow<{ result: T | string }>()(raw)?.result;
    if (value === undefined || value === null) throw new Error("the database function returned nothing");
    return typeof value === "string" ? (JSON.parse(value) as T) : value;
  };

/** What drizzle's batch asks of a statement (`_prepare`, an internal of drizzle-orm's neon-http batch). */
interface Preparable {
  _prepare(): PreparedStatement;
}
interface PreparedStatement {
  getQuery(): { sql: string; params: unknown[] };
}

/**
 * A statement whose SQL is built once per isolate. Building SQL through drizzle's query builder is the
 * largest part of a read's CPU in the Worker (measured with a CPU profile: more than the JSON, the token or
 * the response), and a statement's text never changes between requests, only its values. `build` makes the
 * statement from its values; on the HTTP handle it is called once, with drizzle placeholders in their stead
 * (`sql.placeholder(name)`), and each use fills them in - drizzle's prepared statements, used inside a batch.
 * On any other handle (a transaction) it is built with the values, as before.
 *
 * `build` must only pass its values into SQL - no branching on them, no arithmetic, no string work: at the
 * building they are placeholders, not values.
 */
export function reusable<V extends Record<string, unknown>, Q extends BatchItem<"pg">>(
  build: (db: Querier, values: V) => Q,
): (db: Querier, values: V) => Q {
  let prepared: { statement: PreparedStatement; sql: string; params: unknown[] } | undefined;
  return (db, values) => {
    if (!is(db, NeonHttpDatabase)) return build(db, values);
    if (!prepared) {
      const names = Object.keys(values);
      const placeholders = Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as V;
      const statement = (build(db, placeholders) as unknown as Preparable)._prepare();
      prepared = { statement, ...statement.getQuery() };
    }
    const query = { sql: prepared.sql, params: fillPlaceholders(prepared.params, values) };
    const filled: PreparedStatement = Object.create(prepared.statement, { getQuery: { value: () => query } });
    return { _prepare: () => filled } as unknown as Q;
  };
}
