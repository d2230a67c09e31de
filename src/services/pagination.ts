import { z } from "@hono/zod-openapi";
import { AppError } from "../errors";

/**
 * Cursor pagination. A cursor is an opaque base64url token naming the last row of the previous page by
 * its sort key, so pages stay stable while rows are added (no offsets, no counts that could hint at rows
 * the caller cannot see).
 */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: "Page size (1-100)." }),
  cursor: z.string().max(200).optional().openapi({ description: "`next_cursor` of the previous page." }),
});

/** A keyset position: a creation time and id (most lists) or a sequence number (the audit trail). */
export type Position = { createdAt: Date; id: string } | { seq: number };

const PositionWire = z.union([
  z.object({ t: z.iso.datetime({ offset: true }), i: z.uuid() }).strict(),
  z.object({ s: z.number().int().positive() }).strict(),
]);

export function encodeCursor(position: Position): string {
  const wire =
    "seq" in position ? { s: position.seq } : { t: position.createdAt.toISOString(), i: position.id };
  return btoa(JSON.stringify(wire)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The position a cursor names; 400 when it was not made by `encodeCursor`. */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const wire = PositionWire.parse(JSON.parse(json));
    return "s" in wire ? { seq: wire.s } : { createdAt: new Date(wire.t), id: wire.i };
  } catch (error) {
    throw new AppError("invalid_parameters", "The cursor is not valid.", { cause: error });
  }
}

/** A position that must be of the time-and-id kind. */
export function timeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  const position = decodeCursor(cursor);
  if (position && "seq" in position) throw new AppError("invalid_parameters", "The cursor is not valid.");
  return position;
}

/** One page: asks for `limit + 1` rows upstream, so whether more exist is known without counting. */
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => Position) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** The response envelope of a page, for contracts. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });
