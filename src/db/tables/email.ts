/** The e-mail outbox: every message the platform sends is written here first, then handed to the provider. */
import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { users } from "./identity";
import { tenants } from "./tenants";

/** Messages waiting for (or past) delivery; the sender drains it. */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    userId: uuid("user_id").references(() => users.id),
    toAddress: text("to_address").notNull(),
    template: text("template").notNull(),
    subject: text("subject").notNull(),
    /** Sealed (`v1.<kid>.<iv>.<ciphertext>`, bound to this row): links in it are live tokens. */
    bodyText: text("body_text").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: bigint("attempts", { mode: "number" }).notNull().default(0),
    lastError: text("last_error"),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("email_outbox_status_idx").on(t.status, t.createdAt),
    index("email_outbox_to_idx").on(t.toAddress),
    index("email_outbox_body_plain_idx")
      .on(t.id)
      .where(sql`${t.bodyText} is not null and ${t.bodyText} not like 'v1.%'`),
  ],
);
