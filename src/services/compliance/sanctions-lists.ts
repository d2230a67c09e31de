/**
 * The sanctions lists a tenant uploads (OFAC's SDN files) and the rescreen of every customer each new list
 * sets off.
 *
 * An upload is read whole before anything is stored: a file that is not UTF-8, not in the SDN format, or holds
 * a single row that cannot be read is refused (422, each problem with its file and line), so a list is never
 * stored in part. The caller's standing is read before anything is stored (the route does not put it in the
 * batch); the files go to R2 under the list's id, then one batch records the list (`processing`, the tenant's
 * next version) with its audit event, and a queue message sets off the rescreen. Should that batch fail, the
 * files are deleted again.
 *
 * The rescreen (`rescreenPages`, the queue's consumer) pages through the tenant's customers oldest first, a
 * page per batch read - the customers with every match they have - screening each name and writing the page's
 * matches, superseded matches, ratings and audit events in one batch that holds only if none of those
 * customers changed meanwhile (else the page is read again). A message handles a few pages and queues the
 * next; the last marks the list ready. Everything it writes is keyed, so a redelivered message writes the
 * same again and a list already settled is left alone.
 */
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import {
  auditEventStatement,
  auditEventsStatement,
  type NewAuditEvent,
} from "../../db/repositories/audit.repository";
import type { TimePosition } from "../../db/repositories/keyset";
import {
  customersAfter,
  customersAsRead,
  insertSanctionsList,
  listSanctionsLists as listRows,
  matchesOfCustomersAfter,
  type NewSanctionsMatch,
  rerateCustomers,
  type SanctionsListRow,
  type SanctionsMatchRow,
  sanctionsListById,
  sanctionsListProcessing,
  settleSanctionsList,
  supersedeMatches,
  upsertMatches,
} from "../../db/repositories/sanctions.repository";
import { requirementOf } from "../../db/requirements";
import { AppError, type FieldError } from "../../errors";
import { sha256Hex } from "../../ml/sha256";
import type { SanctionsRescreenMessage } from "../../queues/messages";
import type { SealingKeys } from "../crypto/sealed";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { openIdentity } from "./customer-identity";
import { assessRisk } from "./customer-risk";
import { liveHits, screeningOutcome } from "./sanctions-screening";
import {
  preparedList,
  SanctionsListUnavailableError,
  sanctionsFileKey,
  screenAgainst,
  sdnMetadata,
} from "./sanctions-store";
import { parseSdnList, SdnFormatError, type SdnProblem } from "./sdn-list";

export type SanctionsList = SanctionsListRow;

export const sanctionsListNotFound = () => new AppError("not_found", "No such sanctions list.");

/** The raw files of an upload: the SDN file and, optionally, its aliases. */
export interface SanctionsUpload {
  sdn: Uint8Array;
  alt: Uint8Array | null;
}

/** At most this many problems are listed in a refusal (the count is in its detail). */
const PROBLEMS_SHOWN = 50;

const refusedFile = (detail: string, errors: FieldError[]) =>
  new AppError("validation_failed", detail, { errors: errors.slice(0, PROBLEMS_SHOWN) });

function text(file: "sdn" | "alt", bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw refusedFile(`${file}.csv is not UTF-8 text.`, [
      { location: "body", pointer: `/${file}`, message: "not UTF-8 text", code: "invalid_encoding" },
    ]);
  }
}

const problemError = (p: SdnProblem): FieldError => ({
  location: "body",
  pointer: `/${p.file}`,
  message: `line ${p.line}: ${p.reason}`,
  code: "invalid_row",
});

/** The upload read whole: its entries and aliases counted, or a 422 naming every problem by file and line. */
export function readUpload(upload: SanctionsUpload) {
  const sdn = text("sdn", upload.sdn);
  const alt = upload.alt === null ? undefined : text("alt", upload.alt);
  let parsed: ReturnType<typeof parseSdnList>;
  try {
    parsed = parseSdnList({ sdn, ...(alt === undefined ? {} : { alt }) });
  } catch (error) {
    if (!(error instanceof SdnFormatError)) throw error;
    throw refusedFile(error.message, [
      { location: "body", pointer: `/${error.file}`, message: error.message, code: "invalid_format" },
    ]);
  }
  if (parsed.problems.length > 0) {
    const n = parsed.problems.length;
    throw refusedFile(
      `The list has ${n} row${n === 1 ? "" : "s"} that cannot be read; nothing was stored.`,
      parsed.problems.map(problemError),
    );
  }
  return {
    entries: parsed.entries.length,
    aliases: parsed.entries.reduce((sum, e) => sum + e.aliases.length, 0),
  };
}

/** What uploading a list needs beyond the tenant's context: the files bucket and the queue. */
export interface SanctionsServices {
  files: R2Bucket;
  queue: Queue<SanctionsRescreenMessage>;
}

/** Stores an uploaded list and sets off the rescreen; answers the list, `processing`. */
export async function uploadSanctionsList(
  ctx: TenantContext,
  deps: SanctionsServices,
  upload: SanctionsUpload,
): Promise<SanctionsList> {
  const counts = readUpload(upload);
  const id = crypto.randomUUID();
  const sdnKey = sanctionsFileKey(ctx.tenantId, id, "sdn");
  const altKey = upload.alt === null ? null : sanctionsFileKey(ctx.tenantId, id, "alt");
  const [sdnSha256, altSha256] = await Promise.all([
    sha256Hex(upload.sdn),
    upload.alt === null ? Promise.resolve(null) : sha256Hex(upload.alt),
  ]);
  const removeFiles = () => deps.files.delete([sdnKey, ...(altKey ? [altKey] : [])]).catch(() => undefined);
  // The aliases first: the SDN file's metadata says they belong to it, so it is written last.
  if (altKey !== null && upload.alt !== null) await deps.files.put(altKey, upload.alt);
  await deps.files.put(sdnKey, upload.sdn, { customMetadata: sdnMetadata(altKey !== null) });
  const values = {
    id,
    tenantId: ctx.tenantId,
    entries: counts.entries,
    aliases: counts.aliases,
    sdnKey,
    altKey,
    sdnSha256,
    altSha256,
    bytes: upload.sdn.byteLength + (upload.alt?.byteLength ?? 0),
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
  };
  const event = eventOf(ctx, {
    action: "sanctions_list.uploaded",
    resourceType: "sanctions_list",
    resourceId: id,
    after: { entries: counts.entries, aliases: counts.aliases, sdnSha256, altSha256 },
  });
  let written: { row: SanctionsListRow | undefined };
  try {
    written = await ctx.write("sanctions:manage", null, (db) => ({
      row: read(insertSanctionsList(db, values), (rows) => rows[0]),
      audit: read(auditEventStatement(db, event)),
    }));
  } catch (error) {
    await removeFiles();
    throw error;
  }
  if (!written.row) throw new Error("sanctions list insert returned nothing");
  ctx.audited += 1;
  try {
    await deps.queue.send({ type: "sanctions_rescreen", tenantId: ctx.tenantId, listId: id });
  } catch (error) {
    // Without its message the list would stay processing: it is failed, and the upload refused.
    await ctx.write("sanctions:manage", null, (db) => ({
      failed: read(
        settleSanctionsList(db, ctx.tenantId, id, {
          status: "failed",
          failure: "the rescreen could not be queued",
        }),
      ),
    }));
    throw new AppError(
      "service_unavailable",
      "The list could not be queued for screening; upload it again.",
      {
        headers: { "Retry-After": "5" },
        cause: error,
      },
    );
  }
  return written.row;
}

export async function getSanctionsList(ctx: TenantContext, id: string): Promise<SanctionsList> {
  const [row] = await ctx.readOne((db) => sanctionsListById(db, ctx.tenantId, id));
  if (!row) throw sanctionsListNotFound();
  return row;
}

export async function listSanctionsLists(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) => listRows(db, ctx.tenantId, { before, limit: options.limit + 1 }));
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

// --- The rescreen, run by the queue's consumer

/** What the rescreen needs: the tenant's database, the files, the keys customers' names are sealed with. */
export interface RescreenScope {
  tenantId: string;
  database: Pick<RequestDatabase, "read">;
  files: R2Bucket;
  sealing: SealingKeys;
  queue: Queue<SanctionsRescreenMessage>;
  requestId: string;
}

/** Customers per page, and pages per message: a message's work stays well inside a consumer's CPU time. */
export const RESCREEN_PAGE = 200;
export const PAGES_PER_MESSAGE = 5;

const systemEvent = (
  scope: RescreenScope,
  entry: { action: string; resourceType: string; resourceId: string; after: Record<string, unknown> },
): NewAuditEvent => ({
  tenantId: scope.tenantId,
  actorType: "system",
  actorId: null,
  action: entry.action,
  resourceType: entry.resourceType,
  resourceId: entry.resourceId,
  summary: { after: entry.after },
  requestId: scope.requestId,
  ip: null,
});

/** Marks the list ready or failed, with its audit event - only a list still processing: once, whatever the deliveries. */
async function settle(
  scope: RescreenScope,
  listId: string,
  outcome: Parameters<typeof settleSanctionsList>[3],
) {
  const event = systemEvent(scope, {
    action: outcome.status === "ready" ? "sanctions_list.ready" : "sanctions_list.failed",
    resourceType: "sanctions_list",
    resourceId: listId,
    after: { ...outcome },
  });
  try {
    await scope.database.read({ tenantId: scope.tenantId }, (db) => ({
      processing: read(sanctionsListProcessing(db, scope.tenantId, listId)),
      settled: read(settleSanctionsList(db, scope.tenantId, listId, outcome)),
      audit: read(auditEventStatement(db, event)),
    }));
  } catch (error) {
    if (requirementOf(error) !== "settled") throw error;
  }
}

/** Match rows per insert statement (a statement's parameters are bounded). */
const ROWS_PER_STATEMENT = 1_000;

/**
 * One page of customers after `after`: read with all their matches, each name screened, and what changed
 * written in one batch that holds only if none of the customers written changed meanwhile (else the page is
 * read and screened again, at most four times).
 */
async function rescreenPage(
  scope: RescreenScope,
  list: Awaited<ReturnType<typeof preparedList>>,
  listId: string,
  after: TimePosition | undefined,
) {
  const { tenantId } = scope;
  for (let attempt = 0; attempt < 4; attempt++) {
    const page = await scope.database.read({ tenantId }, (db) => ({
      customers: read(customersAfter(db, tenantId, after, RESCREEN_PAGE)),
      matches: read(matchesOfCustomersAfter(db, tenantId, after, RESCREEN_PAGE)),
    }));
    const byCustomer = new Map<string, SanctionsMatchRow[]>();
    for (const m of page.matches) byCustomer.set(m.customerId, [...(byCustomer.get(m.customerId) ?? []), m]);
    const rows: NewSanctionsMatch[] = [];
    const kept: Array<{ customerId: string; listId: string; entryUid: number }> = [];
    const touched: Array<{ id: string; version: number }> = [];
    const rated: Array<{ id: string; rating: string; factors: Array<{ factor: string; points: number }> }> =
      [];
    const events: NewAuditEvent[] = [];
    for (const customer of page.customers) {
      const identity = await openIdentity(scope.sealing, customer.id, customer.identitySealed);
      const existing = byCustomer.get(customer.id) ?? [];
      const outcome = screeningOutcome({
        tenantId,
        customerId: customer.id,
        listId,
        origin: "list",
        candidates: screenAgainst(list, identity.name),
        existing,
      });
      // A customer with no match before or now is left as it is.
      if (outcome.rows.length === 0 && existing.every((m) => m.supersededAt !== null)) continue;
      touched.push({ id: customer.id, version: customer.version });
      rows.push(...outcome.rows);
      kept.push(...outcome.kept);
      const risk = assessRisk({
        ...customer,
        openSanctionsHits: outcome.open,
        confirmedSanctionsHits: outcome.confirmed,
      });
      rated.push({ id: customer.id, rating: risk.rating, factors: risk.factors });
      const was = liveHits(existing);
      if (
        risk.rating !== customer.riskRating ||
        JSON.stringify(risk.factors) !== JSON.stringify(customer.riskFactors) ||
        was.open !== outcome.open ||
        was.confirmed !== outcome.confirmed
      ) {
        events.push({
          ...systemEvent(scope, {
            action: "customer.rescreened",
            resourceType: "customer",
            resourceId: customer.id,
            after: {
              listId,
              riskRating: risk.rating,
              riskFactors: risk.factors,
              matches: outcome.rows.map((r) => ({ entryUid: r.entryUid, score: r.score, status: r.status })),
            },
          }),
          summary: {
            before: { riskRating: customer.riskRating, riskFactors: customer.riskFactors },
            after: {
              listId,
              riskRating: risk.rating,
              riskFactors: risk.factors,
              matches: outcome.rows.map((r) => ({ entryUid: r.entryUid, score: r.score, status: r.status })),
            },
          },
        });
      }
    }
    const result = {
      size: page.customers.length,
      last: page.customers.at(-1),
      matched: rows.length,
    };
    if (touched.length === 0) return result;
    const statements = (db: Parameters<Parameters<RequestDatabase["read"]>[1]>[0]) => {
      const batch: Record<string, ReturnType<typeof read>> = {
        held: read(customersAsRead(db, tenantId, touched)),
        superseded: read(
          supersedeMatches(
            db,
            tenantId,
            touched.map((t) => t.id),
            kept,
          ),
        ),
      };
      for (let at = 0; at < rows.length; at += ROWS_PER_STATEMENT)
        batch[`matches${at}`] = read(upsertMatches(db, rows.slice(at, at + ROWS_PER_STATEMENT)));
      batch.rated = read(rerateCustomers(db, tenantId, rated));
      if (events.length > 0) batch.audit = read(auditEventsStatement(db, events));
      return batch;
    };
    try {
      await scope.database.read({ tenantId }, statements);
      return result;
    } catch (error) {
      if (requirementOf(error) !== "stale") throw error;
    }
  }
  throw new Error("the customers of a page kept changing while they were rescreened");
}

/**
 * Handles one rescreen message: a few pages from where the last message stopped, then the next message - or,
 * after the last page, the list marked ready. A list that is not processing any more is left alone; one whose
 * files cannot be read is marked failed with the reason.
 */
export async function rescreenPages(scope: RescreenScope, message: SanctionsRescreenMessage): Promise<void> {
  const { tenantId, listId } = message;
  const { list } = await scope.database.read({ tenantId }, (db) => ({
    list: read(sanctionsListById(db, tenantId, listId), (rows) => rows[0]),
  }));
  // Not recorded: the upload's batch may not have committed yet (retried), or failed (the dead letter ends it).
  if (!list) throw new Error(`sanctions list ${listId} is not recorded`);
  if (list.status !== "processing") return;
  let prepared: Awaited<ReturnType<typeof preparedList>>;
  try {
    prepared = await preparedList(scope.files, tenantId, listId);
  } catch (error) {
    if (!(error instanceof SanctionsListUnavailableError || error instanceof SdnFormatError)) throw error;
    await settle(scope, listId, { status: "failed", failure: error.message });
    return;
  }
  let after: TimePosition | undefined = message.after && {
    createdAt: new Date(message.after.t),
    id: message.after.i,
  };
  let screened = message.screened ?? 0;
  let matched = message.matched ?? 0;
  for (let n = 0; n < PAGES_PER_MESSAGE; n++) {
    const page = await rescreenPage(scope, prepared, listId, after);
    screened += page.size;
    matched += page.matched;
    if (page.size < RESCREEN_PAGE || !page.last) {
      await settle(scope, listId, { status: "ready", customersScreened: screened, matchesFound: matched });
      return;
    }
    after = { createdAt: page.last.createdAt, id: page.last.id };
  }
  if (!after) throw new Error("a full page has a last customer");
  await scope.queue.send({
    type: "sanctions_rescreen",
    tenantId,
    listId,
    after: { t: after.createdAt.toISOString(), i: after.id },
    screened,
    matched,
  });
}

/** A rescreen that failed every retry (its dead letter): the list is marked failed with the reason. */
export async function abandonRescreen(
  scope: RescreenScope,
  message: SanctionsRescreenMessage,
  reason: string,
) {
  await settle(scope, message.listId, {
    status: "failed",
    failure: `the rescreen failed: ${reason}`.slice(0, 500),
  });
}
