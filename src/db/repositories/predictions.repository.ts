import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { inferenceUsage, predictions } from "../tables/risk";
import { auditEvents } from "../tables/tenancy";
import type { NewAuditEvent } from "./audit.repository";
import { keyset, type TimePosition } from "./keyset";

export type PredictionRow = typeof predictions.$inferSelect;
export type NewPrediction = typeof predictions.$inferInsert;

const page = keyset(predictions.createdAt, predictions.id);

export async function insertPrediction(tx: Transaction, values: NewPrediction): Promise<PredictionRow> {
  const [row] = await tx.insert(predictions).values(values).returning();
  if (!row) throw new Error("prediction insert returned nothing");
  return row;
}

/**
 * A prediction, its quota count and its audit event, written once as one statement (so one round trip on the
 * HTTP path): the prediction is inserted unless its id is there already, and the count and the event follow
 * only the insert that happened - a retried write changes nothing. The audit trigger chains the event as it
 * does every other.
 */
export function writePredictionOnce(
  db: Querier,
  values: NewPrediction & { id: string },
  day: string,
  audit: NewAuditEvent,
) {
  const inserted = db
    .insert(predictions)
    .values(values)
    .onConflictDoNothing({ target: predictions.id })
    .returning({ id: predictions.id });
  return db.execute(sql`
    with inserted as ${inserted},
    charged as (
      insert into ${inferenceUsage} (tenant_id, day, rows)
      select ${values.tenantId}, ${day}::date, 1 from inserted
      on conflict (tenant_id, day) do update set rows = ${inferenceUsage}.rows + 1, updated_at = now()
      returning 1
    )
    insert into ${auditEvents}
      (tenant_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary, request_id, ip,
       prev_hash, hash)
    select ${audit.tenantId}, 0, ${audit.actorType}, ${audit.actorId ?? null}, ${audit.action},
           ${audit.resourceType}, ${audit.resourceId ?? null}, ${JSON.stringify(audit.summary ?? {})}::jsonb,
           ${audit.requestId ?? null}, ${audit.ip ?? null}::inet, '', ''
      from inserted
    returning id`);
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
