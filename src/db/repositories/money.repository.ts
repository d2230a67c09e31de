import { and, desc, eq, gte, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import {
  type BlocklistKind,
  type MoneyDecision,
  moneyBlocklist,
  moneyChecks,
  moneyPolicies,
  type ReviewStatus,
} from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type MoneyCheckRow = typeof moneyChecks.$inferSelect;
export type BlocklistRow = typeof moneyBlocklist.$inferSelect;

/** The tenant's newest policy version (none: the defaults are in force). */
export function policyRow(db: Querier, tenantId: string) {
  return db
    .select({
      version: moneyPolicies.version,
      policy: moneyPolicies.policy,
      createdAt: moneyPolicies.createdAt,
    })
    .from(moneyPolicies)
    .where(eq(moneyPolicies.tenantId, tenantId))
    .orderBy(desc(moneyPolicies.version))
    .limit(1);
}

/**
 * A new policy version, numbered after the newest only if that is still `basedOn` (0: none yet): a concurrent
 * change makes the insert choose nothing, and the batch fails its requirement.
 */
export function policyInsert(
  db: Querier,
  tenantId: string,
  values: { basedOn: number; policy: unknown; createdByType: string; createdBy: string; at: Date },
) {
  return db.execute(sql`
    insert into ${moneyPolicies} (tenant_id, version, policy, created_by_type, created_by, created_at)
    select ${tenantId}, ${values.basedOn + 1}, ${JSON.stringify(values.policy)}::jsonb, ${values.createdByType},
           ${values.createdBy}, ${values.at.toISOString()}
     where coalesce((select max(version) from ${moneyPolicies} where tenant_id = ${tenantId}), 0) = ${values.basedOn}
    returning version`);
}

/** What a movement's check reads: the customer and the facts for the scoring (see services/money-checks). */
export interface MovementFacts {
  customer: { id: string; country: string; risk_rating: string; kyc_status: string; version: number } | null;
  velocity: {
    customer: { count_1h: number; amount_24h: string } | null;
    portfolio: { count_1h: number; amount_24h: string };
    ip: { count_1h: number; amount_24h: string } | null;
    device: { count_1h: number; amount_24h: string } | null;
  };
  history: { count: number; mean: string | null; max: string | null };
  seen: { any: boolean; device: boolean; ip: boolean };
  last: { country: string; at: string } | null;
  blocklisted: Array<{ kind: string; value: string }>;
}

/**
 * One statement: the portfolio's owner and everything the check scores a movement on, counted from the stored
 * checks - so the check rides in the movement's own read batch. Subjects are the customer (when the portfolio
 * has one; else the portfolio stands for it), the portfolio, the network address and the device; amounts are
 * in the portfolio's currency, the only one it moves.
 */
export function movementFacts(
  db: Querier,
  q: {
    tenantId: string;
    portfolioId: string;
    type: string;
    ip: string | null;
    device: string | null;
    counterparty: string | null;
    actorUserId: string | null;
    at: Date;
  },
) {
  const at = q.at.toISOString();
  const hour = new Date(q.at.getTime() - 3_600_000).toISOString();
  const day = new Date(q.at.getTime() - 86_400_000).toISOString();
  const quarter = new Date(q.at.getTime() - 90 * 86_400_000).toISOString();
  const halfYear = new Date(q.at.getTime() - 180 * 86_400_000).toISOString();
  const velocity = (subject: SQL) => sql`(
    select json_build_object(
      'count_1h', count(*) filter (where c.created_at > ${hour}::timestamptz),
      'amount_24h', coalesce(sum(c.amount) filter (where c.decision <> 'block' and c.currency = (select base_currency from owner)), 0)::text)
      from money_checks c
     where c.tenant_id = ${q.tenantId} and ${subject} and c.created_at > ${day}::timestamptz and c.created_at <= ${at}::timestamptz)`;
  // The customer stands for its portfolios; a portfolio without one stands for itself.
  const own = sql`(case when (select customer_id from owner) is not null
                        then c.customer_id = (select customer_id from owner)
                        else c.portfolio_id = ${q.portfolioId}::uuid end)`;
  const ip = q.ip === null ? sql`null::inet` : sql`${q.ip}::inet`;
  return db.execute(sql`
    with owner as (select customer_id, base_currency from portfolios where tenant_id = ${q.tenantId} and id = ${q.portfolioId}),
         actor as (select email from users where id = ${q.actorUserId}::uuid)
    select json_build_object(
      'customer', (select json_build_object('id', k.id, 'country', k.country, 'risk_rating', k.risk_rating,
                                            'kyc_status', k.kyc_status, 'version', k.version)
                     from customers k where k.tenant_id = ${q.tenantId} and k.id = (select customer_id from owner)),
      'velocity', json_build_object(
        'customer', case when (select customer_id from owner) is null then null
                         else ${velocity(sql`c.customer_id = (select customer_id from owner)`)} end,
        'portfolio', ${velocity(sql`c.portfolio_id = ${q.portfolioId}::uuid`)},
        'ip', case when ${ip} is null then null else ${velocity(sql`c.ip = ${ip}`)} end,
        'device', case when ${q.device}::text is null then null else ${velocity(sql`c.device = ${q.device}`)} end),
      'history', (select json_build_object('count', count(*), 'mean', avg(c.amount)::text, 'max', max(c.amount)::text)
                    from money_checks c
                   where c.tenant_id = ${q.tenantId} and ${own} and c.type = ${q.type} and c.currency = (select base_currency from owner)
                     and c.decision <> 'block' and c.created_at > ${quarter}::timestamptz),
      -- Each an EXISTS on an index (the device's, the address's, the subject's), not a scan of the subject's history.
      'seen', json_build_object(
        'any', exists (select 1 from money_checks c
                        where c.tenant_id = ${q.tenantId} and ${own} and c.decision <> 'block'
                          and c.created_at > ${halfYear}::timestamptz),
        'device', ${q.device}::text is not null and exists (
                   select 1 from money_checks c
                    where c.tenant_id = ${q.tenantId} and c.device = ${q.device} and ${own}
                      and c.decision <> 'block' and c.created_at > ${halfYear}::timestamptz),
        'ip', ${ip} is not null and exists (
               select 1 from money_checks c
                where c.tenant_id = ${q.tenantId} and c.ip = ${ip} and ${own}
                  and c.decision <> 'block' and c.created_at > ${halfYear}::timestamptz)),
      'last', (select json_build_object('country', c.country, 'at', c.created_at)
                 from money_checks c
                where c.tenant_id = ${q.tenantId} and ${own} and c.country is not null
                order by c.created_at desc limit 1),
      'blocklisted', (select coalesce(json_agg(json_build_object('kind', b.kind, 'value', b.value) order by b.kind, b.value), '[]'::json)
                        from money_blocklist b
                       where b.tenant_id = ${q.tenantId}
                         and ((b.kind = 'ip' and ${ip} is not null and b.network >>= ${ip})
                           or (b.kind = 'customer' and b.value = (select customer_id::text from owner))
                           or (b.kind = 'counterparty' and b.value = lower(${q.counterparty}::text))
                           or (b.kind = 'email' and b.value = (select email from actor))
                           or (b.kind = 'domain' and b.value = split_part((select email from actor), '@', 2))))
    ) as result`);
}

const blocklistKeys = keyset(moneyBlocklist.createdAt, moneyBlocklist.id);
const checkKeys = keyset(moneyChecks.createdAt, moneyChecks.id);

/** The tenant's blocklist, newest first. */
export function blocklistPage(
  db: Querier,
  tenantId: string,
  options: { kind?: BlocklistKind | undefined; before?: TimePosition | undefined; limit: number },
) {
  return db
    .select()
    .from(moneyBlocklist)
    .where(
      and(
        eq(moneyBlocklist.tenantId, tenantId),
        options.kind ? eq(moneyBlocklist.kind, options.kind) : undefined,
        blocklistKeys.before(options.before),
      ),
    )
    .orderBy(...blocklistKeys.order)
    .limit(options.limit);
}

/** One blocklist entry, deleted; its row returned (none: no such entry). */
export function blocklistDelete(db: Querier, tenantId: string, id: string) {
  return db
    .delete(moneyBlocklist)
    .where(and(eq(moneyBlocklist.tenantId, tenantId), eq(moneyBlocklist.id, id)))
    .returning();
}

/** The tenant's money checks, newest first. */
export function checksPage(
  db: Querier,
  tenantId: string,
  options: {
    decision?: MoneyDecision | undefined;
    reviewStatus?: ReviewStatus | undefined;
    customerId?: string | undefined;
    portfolioId?: string | undefined;
    before?: TimePosition | undefined;
    limit: number;
  },
) {
  return db
    .select()
    .from(moneyChecks)
    .where(
      and(
        eq(moneyChecks.tenantId, tenantId),
        options.decision ? eq(moneyChecks.decision, options.decision) : undefined,
        options.reviewStatus ? eq(moneyChecks.reviewStatus, options.reviewStatus) : undefined,
        options.customerId ? eq(moneyChecks.customerId, options.customerId) : undefined,
        options.portfolioId ? eq(moneyChecks.portfolioId, options.portfolioId) : undefined,
        checkKeys.before(options.before),
      ),
    )
    .orderBy(...checkKeys.order)
    .limit(options.limit);
}

/** The checks since `since`, newest first, at most `limit`: what a dry run replays. */
export function checksSince(db: Querier, tenantId: string, since: Date, limit: number) {
  return db
    .select({
      id: moneyChecks.id,
      decision: moneyChecks.decision,
      signals: moneyChecks.signals,
      createdAt: moneyChecks.createdAt,
      transactionId: moneyChecks.transactionId,
    })
    .from(moneyChecks)
    .where(and(eq(moneyChecks.tenantId, tenantId), gte(moneyChecks.createdAt, since)))
    .orderBy(desc(moneyChecks.createdAt))
    .limit(limit);
}

/** A subject's checks over a window: counts by decision and the highest score. */
export function checkStats(
  db: Querier,
  tenantId: string,
  subject: { customerId: string } | { actorId: string },
  since: Date,
) {
  return db
    .select({
      total: sql<number>`count(*)::int`,
      held: sql<number>`(count(*) filter (where ${moneyChecks.decision} = 'review'))::int`,
      blocked: sql<number>`(count(*) filter (where ${moneyChecks.decision} = 'block'))::int`,
      maxScore: sql<number | null>`max(${moneyChecks.score})`,
      meanScore: sql<string | null>`round(avg(${moneyChecks.score}), 1)::text`,
      lastAt: sql<string | null>`max(${moneyChecks.createdAt})::text`,
    })
    .from(moneyChecks)
    .where(
      and(
        eq(moneyChecks.tenantId, tenantId),
        "customerId" in subject
          ? eq(moneyChecks.customerId, subject.customerId)
          : eq(moneyChecks.actorId, subject.actorId),
        gte(moneyChecks.createdAt, since),
      ),
    );
}

/** A check by id, with its transaction's portfolio. */
export function checkById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(moneyChecks)
    .where(and(eq(moneyChecks.tenantId, tenantId), eq(moneyChecks.id, id)))
    .limit(1);
}

/** The check behind a transaction, if it had one. */
export function checkOfTransaction(db: Querier, tenantId: string, transactionId: string) {
  return db
    .select()
    .from(moneyChecks)
    .where(and(eq(moneyChecks.tenantId, tenantId), eq(moneyChecks.transactionId, transactionId)))
    .limit(1);
}

/** Fails its batch with `code` unless the customer exists in the tenant, holding it (key share) until the batch ends. */
export function ownerRequirement(db: Querier, tenantId: string, customerId: string, code: string) {
  return requirement(
    db,
    sql`exists (select 1 from customers where tenant_id = ${tenantId} and id = ${customerId} for key share)`,
    code,
  );
}
