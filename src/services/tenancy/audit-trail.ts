import { read } from "../../db/batch";
import {
  type AuditEventRow,
  auditChainVerdict,
  auditEventStatement,
  auditEventsAfter,
  chainVerdict,
  listAuditEvents,
} from "../../db/repositories/audit.repository";
import { AppError } from "../../errors";
import { pageOf, seqCursor } from "../pagination";
import { eventOf } from "./audit";
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
  const rows = await ctx.readOne((db) =>
    listAuditEvents(db, {
      ...query,
      tenantId: ctx.tenantId,
      before,
      limit: query.limit + 1,
    }),
  );
  return pageOf(rows, query.limit, (row) => ({ seq: row.seq }));
}

/** Recomputes the tenant's chain and names the first broken link, if any: one statement, one call. */
export async function verifyAuditTrail(ctx: TenantContext) {
  const { verdict } = await ctx.read((db) => ({
    verdict: read(auditChainVerdict(db, ctx.tenantId), chainVerdict),
  }));
  return verdict;
}

/** The most events one export writes; a longer trail is exported in several calls (`next_from_seq`). */
export const EXPORT_MAX_EVENTS = 50_000;
const EXPORT_BATCH = 1_000;

/**
 * One line of an export: the archive's own record format, fixed here with the export that writes it
 * rather than borrowed from the API's view, so the files stay readable the same way whatever the API
 * later shows. Every stored field, the tenant included, with snake_case names in a fixed order.
 */
export const auditLine = (row: AuditEventRow) =>
  JSON.stringify({
    seq: row.seq,
    id: row.id,
    tenant_id: row.tenantId,
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

/** What an export wrote, and where the next one starts when the trail was longer than one export. */
export interface AuditExport {
  /** The object's key in the bucket. */
  key: string;
  events: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  /** SHA-256 of the file, hex. */
  sha256: string;
  nextFromSeq: number | null;
}

/**
 * Writes the trail from `fromSeq` on as NDJSON to long-term storage, with the chain's hashes, so a copy
 * outside the database anchors the chain: rewriting history would have to rewrite the export as well.
 */
export async function exportAuditTrail(
  ctx: TenantContext,
  bucket: R2Bucket,
  fromSeq: number,
): Promise<AuditExport> {
  const lines: string[] = [];
  let first: AuditEventRow | undefined;
  let last: AuditEventRow | undefined;
  // The trail only grows at its head, so pages read one after the other by sequence number are consistent
  // without a transaction around them: one call for a trail of up to EXPORT_BATCH events.
  let after = fromSeq - 1;
  while (lines.length < EXPORT_MAX_EVENTS) {
    const rows = await ctx.readOne((db) => auditEventsAfter(db, ctx.tenantId, after, EXPORT_BATCH));
    for (const row of rows) lines.push(auditLine(row));
    first ??= rows[0];
    last = rows.at(-1) ?? last;
    if (rows.length < EXPORT_BATCH) break;
    after = last?.seq ?? after;
  }
  if (!first || !last) throw new AppError("not_found", "No audit events at or after that sequence number.");
  const body = `${lines.join("\n")}\n`;
  const firstSeq = first.seq;
  const stamp = ctx.now().toISOString().replace(/[:.]/g, "-");
  const key = `audit/${ctx.tenantId}/${stamp}-${firstSeq}-${last.seq}.ndjson`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  await bucket.put(key, body, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { tenant: ctx.tenantId, firstSeq: String(firstSeq), lastSeq: String(last.seq), sha256 },
  });
  const result: AuditExport = {
    key,
    events: lines.length,
    firstSeq,
    lastSeq: last.seq,
    lastHash: last.hash,
    sha256,
    nextFromSeq: lines.length >= EXPORT_MAX_EVENTS ? last.seq + 1 : null,
  };
  const event = eventOf(ctx, {
    action: "audit.exported",
    resourceType: "audit_export",
    resourceId: key,
    after: { events: result.events, firstSeq, lastSeq: result.lastSeq, sha256 },
  });
  await ctx.read((db) => ({ audit: read(auditEventStatement(db, event)) }));
  ctx.audited += 1;
  return result;
}
