import { and, eq } from "drizzle-orm";
import type { Querier } from "../client";
import { currencyTransactionReports } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type CtrRow = typeof currencyTransactionReports.$inferSelect;

const ctrKeys = keyset(currencyTransactionReports.createdAt, currencyTransactionReports.id);

/** The tenant's CTRs, newest first. */
export function ctrsPage(
  db: Querier,
  tenantId: string,
  options: {
    status?: "open" | "filed" | undefined;
    customerId?: string | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  return db
    .select()
    .from(currencyTransactionReports)
    .where(
      and(
        eq(currencyTransactionReports.tenantId, tenantId),
        options.status ? eq(currencyTransactionReports.status, options.status) : undefined,
        options.customerId ? eq(currencyTransactionReports.customerId, options.customerId) : undefined,
        ctrKeys.before(options.before),
      ),
    )
    .orderBy(...ctrKeys.order)
    .limit(options.limit);
}

/** One CTR. */
export function ctrById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(currencyTransactionReports)
    .where(and(eq(currencyTransactionReports.tenantId, tenantId), eq(currencyTransactionReports.id, id)))
    .limit(1);
}
