/**
 * What a screening of one customer changes: the matches it found (each written live, open unless an analyst
 * already decided the very same finding), the live matches it no longer finds (superseded), and the
 * customer's sanctions factors. Pure: the caller read the customer's matches and writes the outcome in the
 * batch that changes the customer, guarded by the customer's version, so a decision or another screening in
 * between makes it decide again.
 */
import type { NewSanctionsMatch, SanctionsMatchRow } from "../../db/repositories/sanctions.repository";
import type { SanctionsMatchOrigin } from "../../db/schema";
import type { SanctionsCandidate } from "./sanctions-store";

export interface ScreeningOutcome {
  /** The matches to write (insert, or bring back live on the same list). */
  rows: NewSanctionsMatch[];
  /** The customer, list and entry of each: the customer's other live matches are superseded. */
  kept: Array<{ customerId: string; listId: string; entryUid: number }>;
  /** Live matches not yet decided, and confirmed ones, after the write (what the risk rating counts). */
  open: number;
  confirmed: number;
}

/** The same finding: the same listed party, matched on the same listed name with the same score. */
const sameFinding = (row: SanctionsMatchRow, c: SanctionsCandidate) =>
  row.entryUid === c.entryUid && row.matchedName === c.matchedName && row.score === c.score;

/**
 * The outcome of screening customer `customerId` against list `listId`, given what the screening found and
 * every match the customer has (live or superseded). A decision carries over only to the same finding, so a
 * dismissal made for one name never hides a match of another.
 */
export function screeningOutcome(input: {
  tenantId: string;
  customerId: string;
  listId: string;
  origin: SanctionsMatchOrigin;
  candidates: readonly SanctionsCandidate[];
  existing: readonly SanctionsMatchRow[];
}): ScreeningOutcome {
  const rows = input.candidates.map((c): NewSanctionsMatch => {
    const decided = input.existing
      .filter((row) => row.status !== "open" && sameFinding(row, c))
      .sort((a, b) => (b.decidedAt?.getTime() ?? 0) - (a.decidedAt?.getTime() ?? 0))[0];
    return {
      tenantId: input.tenantId,
      customerId: input.customerId,
      listId: input.listId,
      origin: input.origin,
      entryUid: c.entryUid,
      entryName: c.entryName,
      entryType: c.entryType,
      programs: c.programs,
      matchedName: c.matchedName,
      aliasType: c.aliasType,
      weak: c.weak,
      score: c.score,
      status: decided?.status ?? "open",
      decidedAt: decided?.decidedAt ?? null,
      decidedByType: decided?.decidedByType ?? null,
      decidedById: decided?.decidedById ?? null,
      decisionReason: decided?.decisionReason ?? null,
    };
  });
  return {
    rows,
    kept: rows.map((r) => ({ customerId: input.customerId, listId: input.listId, entryUid: r.entryUid })),
    open: rows.filter((r) => r.status === "open").length,
    confirmed: rows.filter((r) => r.status === "confirmed").length,
  };
}

/** What the rating counts of a customer's matches as they stand (its live ones). */
export function liveHits(rows: readonly Pick<SanctionsMatchRow, "status" | "supersededAt">[]) {
  const live = rows.filter((r) => r.supersededAt === null);
  return {
    open: live.filter((r) => r.status === "open").length,
    confirmed: live.filter((r) => r.status === "confirmed").length,
  };
}
