import { and, asc, eq, inArray, lt, notLike, or, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import {
  type CaseStatus,
  complianceAlerts,
  complianceCaseAttachments,
  complianceCaseNotes,
  complianceCases,
  complianceSarAmounts,
  complianceSars,
} from "../tables/compliance-cases";
import { users } from "../tables/identity";
import { portfolioTransactions } from "../tables/portfolios";
import { keyset, type TimePosition } from "./keyset";

export type CaseRow = typeof complianceCases.$inferSelect;
export type CaseNoteRow = typeof complianceCaseNotes.$inferSelect;
export type CaseAttachmentRow = typeof complianceCaseAttachments.$inferSelect;
export type SarRow = typeof complianceSars.$inferSelect;
export type SarAmountRow = typeof complianceSarAmounts.$inferSelect;

const page = keyset(complianceCases.createdAt, complianceCases.id);

export function caseById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(complianceCases)
    .where(and(eq(complianceCases.tenantId, tenantId), eq(complianceCases.id, id)))
    .limit(1);
}

export function listCases(
  db: Querier,
  tenantId: string,
  options: {
    statuses?: readonly CaseStatus[] | undefined;
    assigneeId?: string | undefined;
    /** Only cases still open past their deadline at this instant. */
    overdueAt?: Date | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  const conditions: SQL[] = [eq(complianceCases.tenantId, tenantId)];
  if (options.statuses) conditions.push(inArray(complianceCases.status, [...options.statuses]));
  if (options.assigneeId) conditions.push(eq(complianceCases.assigneeId, options.assigneeId));
  if (options.overdueAt) {
    conditions.push(notLike(complianceCases.status, "closed_%"));
    conditions.push(lt(complianceCases.dueAt, options.overdueAt));
  }
  if (options.before) conditions.push(page.before(options.before));
  return db
    .select()
    .from(complianceCases)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** Fails its batch with `stale` unless the case is still the version read, holding it until the batch ends. */
export function caseAsRead(db: Querier, before: Pick<CaseRow, "tenantId" | "id" | "version">) {
  return requirement(
    db,
    sql`exists (select 1 from ${complianceCases}
                 where ${complianceCases.tenantId} = ${before.tenantId} and ${complianceCases.id} = ${before.id}
                   and ${complianceCases.version} = ${before.version}
                 for no key update)`,
    "stale",
  );
}

/** Fails its batch with `stale` unless every one of the alerts is still open and in no case, locking them. */
export function alertsStillFree(db: Querier, tenantId: string, ids: string[]) {
  if (ids.length === 0) return requirement(db, sql`true`, "stale");
  return requirement(
    db,
    sql`(select count(*) from (select 1 from ${complianceAlerts}
          where ${complianceAlerts.tenantId} = ${tenantId}
            and ${complianceAlerts.id} in (${sql.join(
              ids.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})
            and ${complianceAlerts.status} = 'open' and ${complianceAlerts.caseId} is null
          for update) free) = ${ids.length}`,
    "stale",
  );
}

/** Files alerts under a case. */
export function fileAlerts(db: Querier, tenantId: string, caseId: string, ids: string[]) {
  return db
    .update(complianceAlerts)
    .set({ caseId })
    .where(and(eq(complianceAlerts.tenantId, tenantId), inArray(complianceAlerts.id, ids)));
}

/** Closes the alerts of a case (when the case closes); none without a case. */
export function closeAlertsOfCase(db: Querier, tenantId: string, caseId: string | null) {
  return db
    .update(complianceAlerts)
    .set({ status: "closed" })
    .where(
      and(
        eq(complianceAlerts.tenantId, tenantId),
        caseId ? eq(complianceAlerts.caseId, caseId) : sql`false`,
        eq(complianceAlerts.status, "open"),
      ),
    );
}

/** A user of the tenant (for an assignee's standing); none when no id is given. */
export function tenantUser(db: Querier, tenantId: string, userId: string | null | undefined) {
  return db
    .select({ id: users.id, role: users.role, status: users.status })
    .from(users)
    .where(userId ? and(eq(users.tenantId, tenantId), eq(users.id, userId)) : sql`false`)
    .limit(1);
}

/** Fails its batch with `assignee` unless the user is still active with one of `roles`, holding the row. */
export function userStillHolds(
  db: Querier,
  tenantId: string,
  userId: string | null | undefined,
  roles: readonly string[],
) {
  if (!userId) return requirement(db, sql`true`, "assignee");
  return requirement(
    db,
    sql`exists (select 1 from ${users}
                 where ${users.tenantId} = ${tenantId} and ${users.id} = ${userId}
                   and ${users.status} = 'active'
                   and ${users.role} in (${sql.join(
                     roles.map((r) => sql`${r}`),
                     sql`, `,
                   )})
                 for key share)`,
    "assignee",
  );
}

export function notesOfCase(db: Querier, tenantId: string, caseId: string) {
  return db
    .select()
    .from(complianceCaseNotes)
    .where(and(eq(complianceCaseNotes.tenantId, tenantId), eq(complianceCaseNotes.caseId, caseId)))
    .orderBy(asc(complianceCaseNotes.createdAt), asc(complianceCaseNotes.id));
}

export function attachmentsOfCase(db: Querier, tenantId: string, caseId: string) {
  return db
    .select()
    .from(complianceCaseAttachments)
    .where(
      and(eq(complianceCaseAttachments.tenantId, tenantId), eq(complianceCaseAttachments.caseId, caseId)),
    )
    .orderBy(asc(complianceCaseAttachments.createdAt), asc(complianceCaseAttachments.id));
}

export function attachmentById(db: Querier, tenantId: string, caseId: string, id: string) {
  return db
    .select()
    .from(complianceCaseAttachments)
    .where(
      and(
        eq(complianceCaseAttachments.tenantId, tenantId),
        eq(complianceCaseAttachments.caseId, caseId),
        eq(complianceCaseAttachments.id, id),
      ),
    )
    .limit(1);
}

export function sarOfCase(db: Querier, tenantId: string, caseId: string) {
  return db
    .select()
    .from(complianceSars)
    .where(and(eq(complianceSars.tenantId, tenantId), eq(complianceSars.caseId, caseId)))
    .limit(1);
}

export function sarAmounts(db: Querier, tenantId: string, caseId: string) {
  return db
    .select({
      sarId: complianceSarAmounts.sarId,
      currency: complianceSarAmounts.currency,
      total: complianceSarAmounts.total,
      transactions: complianceSarAmounts.transactions,
    })
    .from(complianceSarAmounts)
    .innerJoin(complianceSars, eq(complianceSars.id, complianceSarAmounts.sarId))
    .where(and(eq(complianceSarAmounts.tenantId, tenantId), eq(complianceSars.caseId, caseId)))
    .orderBy(asc(complianceSarAmounts.currency));
}

/** Fails its batch with `stale` unless the SAR is still the version read, holding it until the batch ends. */
export function sarAsRead(db: Querier, before: Pick<SarRow, "tenantId" | "id" | "version">) {
  return requirement(
    db,
    sql`exists (select 1 from ${complianceSars}
                 where ${complianceSars.tenantId} = ${before.tenantId} and ${complianceSars.id} = ${before.id}
                   and ${complianceSars.version} = ${before.version}
                 for no key update)`,
    "stale",
  );
}

/**
 * The tenant's transactions among `ids` or named by the alerts of `caseId` (a subquery: the case's alerts
 * need not be known first), with what a SAR reports of them.
 */
export function transactionsForReport(db: Querier, tenantId: string, ids: string[], caseId: string) {
  return db
    .select({
      id: portfolioTransactions.id,
      portfolioId: portfolioTransactions.portfolioId,
      amount: portfolioTransactions.amount,
      currency: portfolioTransactions.currency,
      executedAt: portfolioTransactions.executedAt,
      status: portfolioTransactions.status,
    })
    .from(portfolioTransactions)
    .where(
      and(
        eq(portfolioTransactions.tenantId, tenantId),
        or(
          inArray(portfolioTransactions.id, ids),
          sql`${portfolioTransactions.id} in (select unnest(${complianceAlerts.transactionIds}) from ${complianceAlerts}
                where ${complianceAlerts.tenantId} = ${tenantId} and ${complianceAlerts.caseId} = ${caseId})`,
        ),
      ),
    );
}

/** A SAR's totals per currency, summed in Postgres numeric from the transactions it names (not cancelled). */
export function insertSarAmounts(db: Querier, tenantId: string, sarId: string, ids: string[]) {
  return db.execute(sql`
    insert into ${complianceSarAmounts} (tenant_id, sar_id, currency, total, transactions)
    select ${tenantId}::uuid, ${sarId}::uuid, t.currency, sum(t.amount), count(*)
      from ${portfolioTransactions} t
     where t.tenant_id = ${tenantId}::uuid and t.status <> 'cancelled'
       and t.id = any(${`{${ids.join(",")}}`}::uuid[])
     group by t.currency`);
}
