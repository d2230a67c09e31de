import { and, eq, gte, lte, sql } from "drizzle-orm";
import type { Database, Querier, Transaction } from "../client";
import { auditChainHeads, auditEvents } from "../schema";
import { type SeqPosition, seqKeyset } from "./keyset";

const page = seqKeyset(auditEvents.seq);

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<
  typeof auditEvents.$inferInsert,
  "id" | "seq" | "prevHash" | "hash" | "createdAt" | "contentSalt" | "contentDigest" | "erasedAt"
>;

/** Appends one event; the chain trigger fills in `seq`, `prev_hash`, `hash` and `created_at`. */
export async function appendAuditEvent(
  tx: Transaction | Database,
  event: NewAuditEvent,
): Promise<AuditEventRow> {
  const [row] = await tx
    .insert(auditEvents)
    // Placeholders only: the BEFORE INSERT trigger overwrites all three under the chain lock.
    .values({ ...event, seq: 0, prevHash: "", hash: "" })
    .returning();
  if (!row) throw new Error("audit insert returned nothing");
  return row;
}

/** Appends one event as a statement of the caller's batch (the chain trigger fills in the rest). */
export function auditEventStatement(db: Querier, event: NewAuditEvent) {
  return db.insert(auditEvents).values({ ...event, seq: 0, prevHash: "", hash: "" });
}

/** Several events in one statement, chained in the order given. */
export function auditEventsStatement(db: Querier, events: NewAuditEvent[]) {
  return db.insert(auditEvents).values(events.map((event) => ({ ...event, seq: 0, prevHash: "", hash: "" })));
}

export interface AuditFilter {
  tenantId: string;
  actorId?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset: the events after this one, newest first. */
  before?: SeqPosition | undefined;
  limit: number;
}

/** Newest first, by chain position. */
export function listAuditEvents(tx: Querier, filter: AuditFilter) {
  const conditions = [eq(auditEvents.tenantId, filter.tenantId)];
  if (filter.actorId) conditions.push(eq(auditEvents.actorId, filter.actorId));
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.resourceType) conditions.push(eq(auditEvents.resourceType, filter.resourceType));
  if (filter.resourceId) conditions.push(eq(auditEvents.resourceId, filter.resourceId));
  if (filter.from) conditions.push(gte(auditEvents.createdAt, filter.from));
  if (filter.to) conditions.push(lte(auditEvents.createdAt, filter.to));
  if (filter.before) conditions.push(page.before(filter.before));
  return tx
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(filter.limit);
}

/** Events in chain order from `afterSeq` on, for export. */
export function auditEventsAfter(db: Querier, tenantId: string, afterSeq: number, limit: number) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), sql`${auditEvents.seq} > ${afterSeq}`))
    .orderBy(auditEvents.seq)
    .limit(limit);
}

export interface ChainBreak {
  seq: number;
  reason: "hash_mismatch" | "link_mismatch" | "sequence_gap" | "head_mismatch";
}

/**
 * Walks the tenant's chain in the database: each event's hash must match its recomputed entry and its content
 * what the entry vouches for (finedge_audit_content_ok), link to its predecessor's hash, and follow it without
 * a gap; the head must name the last event. A trail whose oldest part was purged starts at its latest
 * checkpoint: the first event left must follow the checkpoint's position and link to its hash. Returns the
 * first break, or null, how many events were checked and where the walk started (`chainVerdict` reads it).
 * One statement.
 */
export function auditChainVerdict(db: Querier, tenantId: string) {
  return db.execute(sql`
    with checkpoint as (
      select through_seq, through_hash, purged_before from audit_checkpoints
       where tenant_id = ${tenantId} order by through_seq desc limit 1
    ),
    walked as (
      select e.seq,
             e.hash = finedge_audit_hash(e) and finedge_audit_content_ok(e) as hash_ok,
             e.prev_hash = coalesce(lag(e.hash) over w, (select through_hash from checkpoint), repeat('0', 64))
               as link_ok,
             e.seq = coalesce(lag(e.seq) over w, (select through_seq from checkpoint), 0) + 1 as seq_ok
        from audit_events e
       where e.tenant_id = ${tenantId}
      window w as (order by e.seq)
    ),
    breaks as (
      select seq, case when not seq_ok then 'sequence_gap'
                       when not link_ok then 'link_mismatch'
                       else 'hash_mismatch' end as reason
        from walked where not (hash_ok and link_ok and seq_ok)
       order by seq limit 1
    ),
    head as (
      select h.last_seq, h.last_hash,
             (select max(seq) from audit_events where tenant_id = ${tenantId}) as max_seq,
             (select hash from audit_events where tenant_id = ${tenantId} order by seq desc limit 1) as max_hash
        from audit_chain_heads h where h.tenant_id = ${tenantId}
    )
    select coalesce((select seq from breaks), (select last_seq from head
                      where last_seq <> max_seq or last_hash <> max_hash)) as seq,
           coalesce((select reason from breaks), (select 'head_mismatch' from head
                      where last_seq <> max_seq or last_hash <> max_hash)) as reason,
           (select count(*) from walked) as total,
           (select through_seq from checkpoint) as checkpoint_seq,
           (select through_hash from checkpoint) as checkpoint_hash,
           (select purged_before from checkpoint) as checkpoint_before`);
}

type VerdictRow = {
  seq: string | number | null;
  reason: ChainBreak["reason"] | null;
  total: string | number;
  checkpoint_seq?: string | number | null;
  checkpoint_hash?: string | null;
  checkpoint_before?: string | Date | null;
};

/** Where a purged trail starts: the last purged event's position and hash. */
export interface ChainStart {
  afterSeq: number;
  hash: string;
  purgedBefore: Date;
}

/** How many events the verdict checked, the first broken link, if any, and where the walk started. */
export function chainVerdict(raw: unknown): {
  checked: number;
  firstBreak: ChainBreak | null;
  startsAfter: ChainStart | null;
} {
  const row = (raw as { rows: VerdictRow[] }).rows[0];
  const checked = Number(row?.total ?? 0);
  const startsAfter =
    row?.checkpoint_seq != null && row.checkpoint_hash && row.checkpoint_before
      ? {
          afterSeq: Number(row.checkpoint_seq),
          hash: row.checkpoint_hash,
          purgedBefore: new Date(row.checkpoint_before),
        }
      : null;
  if (!row?.reason) return { checked, firstBreak: null, startsAfter };
  return { checked, firstBreak: { seq: Number(row.seq), reason: row.reason }, startsAfter };
}

/** The chain's verdict inside a transaction. */
export async function verifyAuditChain(
  tx: Transaction,
  tenantId: string,
): Promise<ReturnType<typeof chainVerdict>> {
  return chainVerdict(await auditChainVerdict(tx, tenantId));
}

/** The current head of the chain (last sequence number and hash), if the tenant has any events. */
export async function auditHead(tx: Transaction, tenantId: string) {
  const [row] = await tx.select().from(auditChainHeads).where(eq(auditChainHeads.tenantId, tenantId));
  return row;
}
