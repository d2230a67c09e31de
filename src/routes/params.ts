import { z } from "@hono/zod-openapi";

/** A path parameter that is a resource id: a UUID, or a 400 problem before the handler runs. */
export const uuidParam = (name: string) => z.uuid().openapi({ param: { name, in: "path" } });

/** `{id}` in a path. */
export const IdParam = z.object({ id: uuidParam("id") });
