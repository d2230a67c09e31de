import { z } from "@hono/zod-openapi";
import type { Page } from "../services/pagination";

/**
 * The wire shapes every list shares: the page query (`limit`, `cursor`) and the page envelope
 * (`{ items, next_cursor }`). A service returns a domain page; `pageBody` is the one place it becomes the
 * envelope.
 */

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: "Page size (1-100)." }),
  cursor: z.string().max(200).optional().openapi({ description: "`next_cursor` of the previous page." }),
});

/** The response envelope of a page, for contracts. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "The `cursor` of the next page; null on the last page." }),
  });

/** A domain page as its envelope, each item in its wire view. */
export function pageBody<T, V>(
  page: Page<T>,
  view: (item: T) => V,
): { items: V[]; next_cursor: string | null } {
  return { items: page.items.map(view), next_cursor: page.nextCursor };
}
