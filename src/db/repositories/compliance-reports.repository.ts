import { and, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { auditEvents } from "../tables/tenancy";
import { type SeqPosition, seqKeyset } from "./keyset";

/**
 * Counts and ageing of the compliance work for a period, in one statement: what was raised, opened,
 * drafted, closed or filed in [from, to), and how long what is still open at `now` has been waiting
 * (0-7, 8-30, more than 30 days), currency transaction reports included.
 */
export function complianceCounts(db: Querier, tenantId: string, from: Date, to: Date, now: Date) {
  const f = from.toISOString();
  const t = to.toISOString();
  const n = now.toISOString();
  const ageing = (column: string) =>
    sql.raw(`
      'age_0_7', count(*) filter (where ${column} > '${n}'::timestamptz - interval '8 days'),
      'age_8_30', count(*) filter (where ${column} <= '${n}'::timestamptz - interval '8 days'
                                     and ${column} > '${n}'::timestamptz - interval '31 days'),
      'age_over_30', count(*) filter (where ${column} <= '${n}'::timestamptz - interval '31 days')`);
  return db.execute(sql`
    select json_build_object(
      'alerts', (select json_build_object(
          'raised', count(*) filter (where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz),
          'raised_by_kind', (select coalesce(json_object_agg(kind, c), '{}'::json) from (
              select kind, count(*) as c from compliance_alerts
               where tenant_id = ${tenantId} and created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz
               group by kind) k),
          'open', count(*) filter (where status = 'open'),
          'open_without_case', count(*) filter (where status = 'open' and case_id is null),
          'open_ageing', (select json_build_object(${ageing("created_at")})
                            from compliance_alerts where tenant_id = ${tenantId} and status = 'open'))
        from compliance_alerts where tenant_id = ${tenantId}),
      'cases', (select json_build_object(
          'opened', count(*) filter (where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz),
          'closed_no_action', count(*) filter (where status = 'closed_no_action'
                                and closed_at >= ${f}::timestamptz and closed_at < ${t}::timestamptz),
          'closed_sar_filed', count(*) filter (where status = 'closed_sar_filed'
                                and closed_at >= ${f}::timestamptz and closed_at < ${t}::timestamptz),
          'open', count(*) filter (where status not like 'closed_%'),
          'overdue', count(*) filter (where status not like 'closed_%' and due_at < ${n}::timestamptz),
          'open_ageing', (select json_build_object(${ageing("created_at")})
                            from compliance_cases where tenant_id = ${tenantId} and status not like 'closed_%'))
        from compliance_cases where tenant_id = ${tenantId}),
      'sars', (select json_build_object(
          'drafted', count(*) filter (where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz),
          'approved', count(*) filter (where approved_at >= ${f}::timestamptz and approved_at < ${t}::timestamptz),
          'filed', count(*) filter (where filed_at >= ${f}::timestamptz and filed_at < ${t}::timestamptz),
          'filed_late', count(*) filter (where filed_at >= ${f}::timestamptz and filed_at < ${t}::timestamptz
                                           and filed_at > due_at),
          'unfiled', count(*) filter (where status <> 'filed'),
          'unfiled_overdue', count(*) filter (where status <> 'filed' and due_at < ${n}::timestamptz),
          'unfiled_ageing', (select json_build_object(${ageing("detected_at")})
                               from compliance_sars where tenant_id = ${tenantId} and status <> 'filed'))
        from compliance_sars where tenant_id = ${tenantId}),
      'ctrs', (select json_build_object(
          'created', count(*) filter (where created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz),
          'automatic', count(*) filter (where source = 'automatic'
                                 and created_at >= ${f}::timestamptz and created_at < ${t}::timestamptz),
          'filed', count(*) filter (where filed_at >= ${f}::timestamptz and filed_at < ${t}::timestamptz),
          'filed_late', count(*) filter (where filed_at >= ${f}::timestamptz and filed_at < ${t}::timestamptz
                                           and filed_at::date > due_on),
          'open', count(*) filter (where status = 'open'),
          'open_overdue', count(*) filter (where status = 'open' and due_on < ${n}::timestamptz::date),
          'open_ageing', (select json_build_object(${ageing("created_at")})
                            from currency_transaction_reports where tenant_id = ${tenantId} and status = 'open'))
        from currency_transaction_reports where tenant_id = ${tenantId})
    ) as result`);
}

/** The audit trail's compliance domain: what cases, SARs, reports, customers, checks, CTRs and screening recorded. */
export const COMPLIANCE_RESOURCE_TYPES = [
  "compliance_case",
  "sar",
  "fraud_report",
  "customer",
  "money_check",
  "money_policy",
  "money_blocklist",
  "ctr",
  "monitoring_run",
  "sanctions_list",
  "sanctions_match",
  "sanctions_screening",
] as const;

const page = seqKeyset(auditEvents.seq);

export function complianceAuditEvents(
  db: Querier,
  filter: {
    tenantId: string;
    resourceTypes: readonly string[];
    action?: string | undefined;
    actorId?: string | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
    before?: SeqPosition | undefined;
    limit: number;
  },
) {
  const conditions: SQL[] = [
    eq(auditEvents.tenantId, filter.tenantId),
    inArray(auditEvents.resourceType, [...filter.resourceTypes]),
  ];
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.actorId) conditions.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.from) conditions.push(gte(auditEvents.createdAt, filter.from));
  if (filter.to) conditions.push(lte(auditEvents.createdAt, filter.to));
  if (filter.before) conditions.push(page.before(filter.before));
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(filter.limit);
}
