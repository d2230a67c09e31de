import type { BatchItem } from "drizzle-orm/batch";

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
