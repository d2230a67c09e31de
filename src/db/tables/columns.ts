/** Column builders every table file shares, so each table says the same thing the same way. */
import { uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export { createdAt, updatedAt } from "./timestamps";

// Not from ../schema, which re-exports the table files: a table file loaded first would find this one unfinished.
export const tenantRef = () =>
  uuid("tenant_id")
    .notNull()
    .references(() => tenants.id);
