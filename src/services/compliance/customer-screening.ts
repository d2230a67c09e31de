/**
 * A customer's name screened against the tenant's active sanctions list, on onboarding and on a change of
 * name, and what the audit trail keeps of it (the list and the listed parties found, never the name).
 */
import type { SanctionsMatchRow } from "../../db/repositories/sanctions.repository";
import { AppError } from "../../errors";
import type { TenantContext } from "../tenancy/context";
import { type ScreeningOutcome, screeningOutcome } from "./sanctions-screening";
import { preparedList, SanctionsListUnavailableError, screenAgainst } from "./sanctions-store";

/** The active list a request read, to screen a name against. */
type ActiveList = { id: string; version: number } | undefined;

/**
 * Screens a customer's name against the active list (none: nothing to screen against yet). The prepared list
 * comes from the isolate's cache or R2, never the database; a list that cannot be loaded refuses the change
 * (503) rather than let a customer through unscreened.
 */
export async function screened(
  ctx: TenantContext,
  files: R2Bucket,
  list: ActiveList,
  screening: {
    customerId: string;
    name: string;
    origin: "onboarding" | "change";
    existing: SanctionsMatchRow[];
  },
): Promise<(ScreeningOutcome & { list: { id: string; version: number } }) | null> {
  if (!list) return null;
  const prepared = await preparedList(files, ctx.tenantId, list.id).catch((error: unknown) => {
    if (!(error instanceof SanctionsListUnavailableError)) throw error;
    throw new AppError("service_unavailable", "The sanctions list cannot be loaded; retry later.", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  });
  const candidates = screenAgainst(prepared, screening.name);
  return {
    ...screeningOutcome({
      tenantId: ctx.tenantId,
      customerId: screening.customerId,
      listId: list.id,
      origin: screening.origin,
      candidates,
      existing: screening.existing,
    }),
    list,
  };
}

/** What the audit trail keeps of a screening: the list and the listed parties found, never the name. */
export const screeningSummary = (outcome: Awaited<ReturnType<typeof screened>>) =>
  outcome && {
    listId: outcome.list.id,
    listVersion: outcome.list.version,
    matches: outcome.rows.map((r) => ({ entryUid: r.entryUid, score: r.score, status: r.status })),
  };
