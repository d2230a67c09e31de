import { sql } from "drizzle-orm";
import type { Querier } from "../client";

/**
 * Customers' settled cash movements executed in [from, to), across all their portfolios, for
 * monitoring: reversals and what they reversed are left out (a correction is not activity).
 */
export function cashMovements(db: Querier, tenantId: string, q: { from: Date; to: Date }) {
  return db.execute(sql`
    select t.id, f.customer_id, t.type, t.amount::text as amount, t.currency, t.executed_at
      from portfolio_transactions t join portfolios f on f.id = t.portfolio_id
     where t.tenant_id = ${tenantId} and f.tenant_id = ${tenantId} and f.customer_id is not null
       and t.type in ('deposit', 'withdrawal') and t.status = 'settled'
       and t.reversal_of is null
       and not exists (select 1 from portfolio_transactions r where r.reversal_of = t.id and r.status <> 'cancelled')
       and t.executed_at >= ${q.from.toISOString()}::timestamptz and t.executed_at < ${q.to.toISOString()}::timestamptz
     order by t.executed_at, t.id`);
}

/** For each customer with a cash movement in [from, to), its latest one before `from` (dormancy). */
export function lastMovementsBefore(db: Querier, tenantId: string, q: { from: Date; to: Date }) {
  return db.execute(sql`
    select active.customer_id,
           (select max(t.executed_at) from portfolio_transactions t join portfolios f on f.id = t.portfolio_id
             where t.tenant_id = ${tenantId} and f.customer_id = active.customer_id
               and t.type in ('deposit', 'withdrawal') and t.status = 'settled'
               and t.executed_at < ${q.from.toISOString()}::timestamptz) as last_at
      from (select distinct f.customer_id
              from portfolio_transactions t join portfolios f on f.id = t.portfolio_id
             where t.tenant_id = ${tenantId} and f.customer_id is not null
               and t.type in ('deposit', 'withdrawal') and t.status = 'settled'
               and t.executed_at >= ${q.from.toISOString()}::timestamptz
               and t.executed_at < ${q.to.toISOString()}::timestamptz) active`);
}

/** Monitoring hits as alerts, each once (its scenario and transactions are its key); the ids raised. */
export function monitoringAlerts(
  db: Querier,
  tenantId: string,
  hits: Array<{ rule: string; customerId: string; transactionIds: string[]; reasons: unknown; key: string }>,
  at: Date,
) {
  return db.execute(sql`
    insert into compliance_alerts (tenant_id, kind, rule, customer_id, transaction_ids, reasons, dedupe_key,
                                   created_at, updated_at)
    select ${tenantId}, 'monitoring', h->>'rule', (h->>'customer_id')::uuid,
           array(select jsonb_array_elements_text(h->'transaction_ids'))::uuid[], h->'reasons', h->>'key',
           ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz
      from jsonb_array_elements(${JSON.stringify(
        hits.map((h) => ({
          rule: h.rule,
          customer_id: h.customerId,
          transaction_ids: h.transactionIds,
          reasons: h.reasons,
          key: h.key,
        })),
      )}::jsonb) as h
    on conflict (tenant_id, kind, dedupe_key) where dedupe_key is not null do nothing
    returning id, dedupe_key`);
}
