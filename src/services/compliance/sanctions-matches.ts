/**
 * Review of what screening found, and screening on demand.
 *
 * A potential match is decided once - confirmed (the customer is the listed party) or dismissed (it is not),
 * with the reviewer's reason - in two round trips: the match, its customer and the customer's matches in one
 * read; then one batch that decides it, rates the customer again from its live matches and appends the audit
 * event, holding only if the customer is still the version read (every change to a customer's matches moves
 * its version on). A match decided or superseded meanwhile is refused with 409, never decided again.
 *
 * Screening a counterparty's name reads the active list's id (one round trip, the caller's standing beside
 * it), screens against the prepared list (the isolate's copy, or R2) and records the screening as an audit
 * event in one statement: examiners ask which names were screened, against which list, with what result.
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { customerAsRead } from "../../db/repositories/customers.repository";
import {
  activeSanctionsList,
  decideMatch,
  listSanctionsMatches,
  type SanctionsMatchRow,
  sanctionsMatchById,
} from "../../db/repositories/sanctions.repository";
import {
  customerOfMatch,
  matchesBesideMatch,
  rerateCustomers,
} from "../../db/repositories/sanctions-customers.repository";
import { asRead } from "../../db/requirements";
import type { SanctionsMatchStatus } from "../../db/schema";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { assessRisk } from "./customer-risk";
import { liveHits } from "./sanctions-screening";
import {
  preparedList,
  type SanctionsCandidate,
  SanctionsListUnavailableError,
  screenAgainst,
} from "./sanctions-store";

export type SanctionsMatch = SanctionsMatchRow;

export const sanctionsMatchNotFound = () => new AppError("not_found", "No such sanctions match.");

export async function listMatches(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    status?: SanctionsMatchStatus | undefined;
    customerId?: string | undefined;
    listId?: string | undefined;
    live?: boolean | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listSanctionsMatches(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getMatch(ctx: TenantContext, id: string): Promise<SanctionsMatch> {
  const [row] = await ctx.readOne((db) => sanctionsMatchById(db, ctx.tenantId, id));
  if (!row) throw sanctionsMatchNotFound();
  return row;
}

const STALE = "The customer's matches kept changing while this decision was made; retry it.";

/** Confirms or dismisses an open, live match with the reviewer's reason; the customer is rated again. */
export async function decideSanctionsMatch(
  ctx: TenantContext,
  id: string,
  decision: { status: "confirmed" | "dismissed"; reason: string },
): Promise<SanctionsMatch> {
  return asRead(STALE, async () => {
    const found = await ctx.read((db) => ({
      match: read(sanctionsMatchById(db, ctx.tenantId, id), (rows) => rows[0]),
      customer: read(customerOfMatch(db, ctx.tenantId, id), (rows) => rows[0]),
      matches: read(matchesBesideMatch(db, ctx.tenantId, id)),
    }));
    const { match, customer } = found;
    if (!match || !customer) throw sanctionsMatchNotFound();
    if (match.status !== "open")
      throw new AppError("conflict", `The match was ${match.status} already; a decision is not made twice.`);
    if (match.supersededAt !== null)
      throw new AppError("conflict", "The match was superseded by a later screening of the customer.");
    const after = found.matches.map((m) => (m.id === id ? { ...m, status: decision.status } : m));
    const hits = liveHits(after);
    const risk = assessRisk({
      ...customer,
      openSanctionsHits: hits.open,
      confirmedSanctionsHits: hits.confirmed,
    });
    const actor = ctx.actor;
    const event = eventOf(ctx, {
      action: `sanctions_match.${decision.status}`,
      resourceType: "sanctions_match",
      resourceId: id,
      before: { status: match.status, customerId: customer.id, riskRating: customer.riskRating },
      after: {
        status: decision.status,
        reason: decision.reason,
        customerId: customer.id,
        listId: match.listId,
        entryUid: match.entryUid,
        riskRating: risk.rating,
        riskFactors: risk.factors,
      },
    });
    const written = await ctx.write("sanctions:review", null, (db) => ({
      held: read(customerAsRead(db, customer)),
      decided: read(
        decideMatch(db, ctx.tenantId, id, {
          status: decision.status,
          reason: decision.reason,
          byType: actor.type,
          byId: actor.id,
        }),
        (rows) => rows[0],
      ),
      rated: read(
        rerateCustomers(db, ctx.tenantId, [{ id: customer.id, rating: risk.rating, factors: risk.factors }]),
      ),
      audit: read(auditEventStatement(db, event)),
    }));
    if (!written.decided) throw new Error("a match held by its customer's version was not decided");
    ctx.audited += 1;
    return written.decided;
  });
}

/** What an ad-hoc screening answers: the list it used and the candidates, best first. */
export interface Screening {
  id: string;
  list: { id: string; version: number };
  candidates: SanctionsCandidate[];
  screenedAt: Date;
}

/**
 * Screens a counterparty's name against the active list: 409 when the tenant has none ready. Two round
 * trips: the active list's id (with the caller's standing), then the screening's audit event.
 */
export async function screenName(
  ctx: TenantContext,
  files: R2Bucket,
  input: { name: string; kind?: "person" | "entity" | undefined; country?: string | undefined },
): Promise<Screening> {
  const { list } = await ctx.read((db) => ({
    list: read(activeSanctionsList(db, ctx.tenantId), (rows) => rows[0]),
  }));
  if (!list)
    throw new AppError("conflict", "The tenant has no sanctions list ready; upload one and wait for it.");
  const prepared = await preparedList(files, ctx.tenantId, list.id).catch((error: unknown) => {
    if (!(error instanceof SanctionsListUnavailableError)) throw error;
    throw new AppError("service_unavailable", "The sanctions list cannot be loaded; retry later.", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  });
  const candidates = screenAgainst(prepared, input.name).filter((c) => kindAgrees(c, input.kind));
  const id = crypto.randomUUID();
  const event = eventOf(ctx, {
    action: "sanctions.screened",
    resourceType: "sanctions_screening",
    resourceId: id,
    after: {
      name: input.name,
      kind: input.kind ?? null,
      country: input.country ?? null,
      listId: list.id,
      listVersion: list.version,
      candidates: candidates.map((c) => ({ entryUid: c.entryUid, score: c.score })),
    },
  });
  await ctx.write("sanctions:screen", null, (db) => ({ audit: read(auditEventStatement(db, event)) }));
  ctx.audited += 1;
  return { id, list, candidates, screenedAt: ctx.now() };
}

/** A person is not a vessel, an aircraft or an entity; an entity is not an individual. */
function kindAgrees(c: SanctionsCandidate, kind: "person" | "entity" | undefined) {
  if (kind === "person") return c.entryType === "individual";
  if (kind === "entity") return c.entryType !== "individual";
  return true;
}
