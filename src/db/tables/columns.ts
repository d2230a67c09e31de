/** Column builders every table file shares, so each table says the same thing the same way. */
import { timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "../schema";

// References are lazy callbacks, so the import cycle with ../schema (which re-exports the table files) is harmless.
export const tenantRef = () =>
  uuid("tenant_id")
    .notNull()
    .references(() => tenants.id);
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
