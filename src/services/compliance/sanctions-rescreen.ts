/** Rescreening every customer when a list changes: pages of customers screened by the queue, each page one read and at most one write, the list settled ready or failed at the end. */
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import {
  auditEventStatement,
  auditEventsStatement,
  type NewAuditEvent,
} from "../../db/repositories/audit.repository";
import type { TimePosition } from "../../db/repositories/keyset";
import {
  type NewSanctionsMatch,
  type SanctionsMatchRow,
  sanctionsListById,
  sanctionsListProcessing,
  settleSanctionsList,
  supersedeMatches,
  upsertMatches,
} from "../../db/repositories/sanctions.repository";
import {
  customersAfter,
  customersAsRead,
  matchesOfCustomersAfter,
  rerateCustomers,
} from "../../db/repositories/sanctions-customers.repository";
import { requirementOf } from "../../db/requirements";
import type { SanctionsRescreenMessage } from "../../queues/messages";
import type { SealingKeys } from "../crypto/sealed";
import { openIdentity } from "./customer-identity";
import { assessRisk } from "./customer-risk";
import { liveHits, screeningOutcome } from "./sanctions-screening";
import { preparedList, SanctionsListUnavailableError, screenAgainst } from "./sanctions-store";
import { SdnFormatError } from "./sdn-list";

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
