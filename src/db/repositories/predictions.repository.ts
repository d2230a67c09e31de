import { and, eq, type SQL } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { predictions } from "../tables/risk";
import { keyset, type TimePosition } from "./keyset";

export type PredictionRow = typeof predictions.$inferSelect;
export type NewPrediction = typeof predictions.$inferInsert;

const page = keyset(predictions.createdAt, predictions.id);

export async function insertPrediction(tx: Transaction, values: NewPrediction): Promise<PredictionRow> {
  const [row] = await tx.insert(predictions).values(values).returning();
  if (!row) throw new Error("prediction insert returned nothing");
  return row;
}

export function predictionById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(predictions)
    .where(and(eq(predictions.tenantId, tenantId), eq(predictions.id, id)))
    .limit(1);
}

/** A company's predictions, newest first. */
export function listCompanyPredictions(
  tx: Querier,
  tenantId: string,
  companyId: string,
  options: { before?: TimePosition | undefined; limit: number },
) {
  const conditions: SQL[] = [eq(predictions.tenantId, tenantId), eq(predictions.companyId, companyId)];
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select()
    .from(predictions)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}
