import {
  type AuditEventRow,
  auditEventsAfter,
  listAuditEvents,
  verifyAuditChain,
} from "../../db/repositories/audit.repository";
import { AppError } from "../../errors";
import { pageOf, seqCursor } from "../pagination";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

export interface AuditQuery {
  actorId?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** A page of the tenant's trail, newest first. */
export async function searchAuditTrail(ctx: TenantContext, query: AuditQuery) {
  const before = seqCursor(query.cursor);
  const rows = await ctx.transaction((tx) =>
    listAuditEvents(tx, {
      ...query,
      tenantId: ctx.tenantId,
      before,
      limit: query.limit + 1,
    }),
  );
  return pageOf(rows, query.limit, (row) => ({ seq: row.seq }));
}

/** Recomputes the tenant's chain and names the first broken link, if any. */
export async function verifyAuditTrail(ctx: TenantContext) {
  return ctx.transaction((tx) => verifyAuditChain(tx, ctx.tenantId));
}

/** The most events one export writes; a longer trail is exported in several calls (`next_from_seq`). */
export const EXPORT_MAX_EVENTS = 50_000;
const EXPORT_BATCH = 1_000;

/** An audit event as the API shows it (the export adds its tenant). */
export const auditEventView = (row: AuditEventRow) => ({
  seq: row.seq,
  id: row.id,
  actor_type: row.actorType,
  actor_id: row.actorId,
  action: row.action,
  resource_type: row.resourceType,
  resource_id: row.resourceId,
  summary: row.summary,
  request_id: row.requestId,
  ip: row.ip,
  created_at: row.createdAt.toISOString(),
  prev_hash: row.prevHash,
  hash: row.hash,
});

/** One line of an export: the event with its tenant, fields in a fixed order. */
export const auditLine = (row: AuditEventRow) => {
  const { seq, id, ...rest } = auditEventView(row);
  return JSON.stringify({ seq, id, tenant_id: row.tenantId, ...rest });
};

/**
 * Writes the trail from `fromSeq` on as NDJSON to long-term storage, with the chain's hashes, so a copy
 * outside the database anchors the chain: rewriting history would have to rewrite the export as well.
 */
export async function exportAuditTrail(ctx: TenantContext, bucket: R2Bucket, fromSeq: number) {
  const lines: string[] = [];
  let last: AuditEventRow | undefined;
  await ctx.transaction(async (tx) => {
    let after = fromSeq - 1;
    while (lines.length < EXPORT_MAX_EVENTS) {
      const rows = await auditEventsAfter(tx, ctx.tenantId, after, EXPORT_BATCH);
      for (const row of rows) lines.push(auditLine(row));
      last = rows.at(-1) ?? last;
      if (rows.length < EXPORT_BATCH) break;
      after = last?.seq ?? after;
    }
  });
  if (!last) throw new AppError("not_found", "No audit events at or after that sequence number.");
  const body = `${lines.join("\n")}\n`;
  const firstSeq = Number(JSON.parse(lines[0] as string).seq);
  const stamp = ctx.now().toISOString().replace(/[:.]/g, "-");
  const key = `audit/${ctx.tenantId}/${stamp}-${firstSeq}-${last.seq}.ndjson`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  await bucket.put(key, body, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { tenant: ctx.tenantId, firstSeq: String(firstSeq), lastSeq: String(last.seq), sha256 },
  });
  const result = {
    key,
    events: lines.length,
    first_seq: firstSeq,
    last_seq: last.seq,
    last_hash: last.hash,
    sha256,
    next_from_seq: lines.length >= EXPORT_MAX_EVENTS ? last.seq + 1 : null,
  };
  await ctx.transaction((tx) =>
    recordAudit(tx, ctx, {
      action: "audit.exported",
      resourceType: "audit_export",
      resourceId: key,
      after: { events: result.events, firstSeq, lastSeq: last?.seq, sha256 },
    }),
  );
  return result;
}
