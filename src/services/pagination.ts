import { z } from "@hono/zod-openapi";
import type { SeqPosition, TimePosition } from "../db/repositories/keyset";
import { AppError } from "../errors";
import { fromBase64Url, toBase64Url } from "./crypto/base64url";

/**
 * Cursor pagination. A cursor is an opaque base64url token naming the last row of the previous page by
 * its sort key, so pages stay stable while rows are added (no offsets, no counts that could hint at rows
 * the caller cannot see).
 */

/** A keyset position: a time and id (most lists) or a sequence number (the audit trail, the journal). */
export type Position = TimePosition | SeqPosition;

/** One page of a list: its rows and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const PositionWire = z.union([
  z.object({ t: z.iso.datetime({ offset: true }), i: z.uuid() }).strict(),
  z.object({ s: z.number().int().positive() }).strict(),
]);

export function encodeCursor(position: Position): string {
  const wire =
    "seq" in position ? { s: position.seq } : { t: position.createdAt.toISOString(), i: position.id };
  return toBase64Url(new TextEncoder().encode(JSON.stringify(wire)));
}

const invalidCursor = (cause?: unknown) =>
  new AppError("invalid_parameters", "The cursor is not valid.", cause === undefined ? undefined : { cause });

/** The position a cursor names; 400 when it was not made by `encodeCursor`. */
function decodeCursor(cursor: string): Position {
  try {
    const wire = PositionWire.parse(JSON.parse(new TextDecoder().decode(fromBase64Url(cursor))));
    return "s" in wire ? { seq: wire.s } : { createdAt: new Date(wire.t), id: wire.i };
  } catch (error) {
    throw invalidCursor(error);
  }
}

/** The time-and-id position a cursor names (none without one); 400 for any other cursor. */
export function timeCursor(cursor: string | undefined): TimePosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if ("seq" in position) throw invalidCursor();
  return position;
}

/** The sequence-number position a cursor names (none without one); 400 for any other cursor. */
export function seqCursor(cursor: string | undefined): SeqPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if (!("seq" in position)) throw invalidCursor();
  return position;
}

/** One page: asks for `limit + 1` rows upstream, so whether more exist is known without counting. */
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => Position): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** The same page with each item mapped. */
export function mapPage<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}

/** An empty page. */
export const emptyPage = <T>(): Page<T> => ({ items: [], nextCursor: null });
