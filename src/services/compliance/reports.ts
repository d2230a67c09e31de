/**
 * Oversight of the compliance work: counts and ageing of alerts, cases and SARs for a period, and the audit
 * trail of the compliance domain for examiners - each one round trip, the caller's standing in it. Both are
 * for `compliance:oversight` holders, a tier that also holds `sars:read`: SAR counts and SAR events are in them.
 */
import { read } from "../../db/batch";
import {
  COMPLIANCE_RESOURCE_TYPES,
  complianceAuditEvents,
  complianceCounts,
} from "../../db/repositories/compliance-reports.repository";
import { AppError } from "../../errors";
import { pageOf, seqCursor } from "../pagination";
import type { TenantContext } from "../tenancy/context";

export { COMPLIANCE_RESOURCE_TYPES };

const DAY_MS = 86_400_000;
/** The longest period one report covers. */
export const REPORT_MAX_DAYS = 366;

export interface Ageing {
  age_0_7: number;
  age_8_30: number;
  age_over_30: number;
}

export interface ComplianceCounts {
  alerts: {
    raised: number;
    raised_by_kind: Record<string, number>;
    open: number;
    open_without_case: number;
    open_ageing: Ageing;
  };
  cases: {
    opened: number;
    closed_no_action: number;
    closed_sar_filed: number;
    open: number;
    overdue: number;
    open_ageing: Ageing;
  };
  sars: {
    drafted: number;
    approved: number;
    filed: number;
    filed_late: number;
    unfiled: number;
    unfiled_overdue: number;
    unfiled_ageing: Ageing;
  };
  ctrs: {
    created: number;
    automatic: number;
    filed: number;
    filed_late: number;
    open: number;
    open_overdue: number;
    open_ageing: Ageing;
  };
}

export interface ComplianceReport extends ComplianceCounts {
  from: Date;
  to: Date;
  generatedAt: Date;
}

const queryProblem = (pointer: string, message: string) =>
  new AppError("invalid_parameters", message, {
    errors: [{ location: "query", pointer, message, code: "invalid" }],
  });

export async function complianceReport(
  ctx: TenantContext,
  period: { from?: Date | undefined; to?: Date | undefined },
): Promise<ComplianceReport> {
  const now = ctx.now();
  const to = period.to ?? now;
  const from = period.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw queryProblem("from", "`from` must be before `to`.");
  if (to.getTime() - from.getTime() > REPORT_MAX_DAYS * DAY_MS) {
    throw queryProblem("from", `A report covers at most ${REPORT_MAX_DAYS} days.`);
  }
  if (to.getTime() > now.getTime() + DAY_MS) throw queryProblem("to", "`to` is more than a day ahead.");
  const { counts } = await ctx.read((db) => ({
    counts: read(complianceCounts(db, ctx.tenantId, from, to, now), (raw) => {
      const value = (raw as { rows: Array<{ result: ComplianceCounts | string }> }).rows[0]?.result;
      if (value === undefined) throw new Error("the compliance counts returned nothing");
      return typeof value === "string" ? (JSON.parse(value) as ComplianceCounts) : value;
    }),
  }));
  return { ...counts, from, to, generatedAt: now };
}

export async function complianceAuditLog(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    action?: string | undefined;
    resourceType?: (typeof COMPLIANCE_RESOURCE_TYPES)[number] | undefined;
    actorId?: string | undefined;
    from?: Date | undefined;
    to?: Date | undefined;
  },
) {
  if (options.from && options.to && options.from > options.to) {
    throw queryProblem("from", "`from` must not be after `to`.");
  }
  const before = seqCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    complianceAuditEvents(db, {
      tenantId: ctx.tenantId,
      resourceTypes: options.resourceType ? [options.resourceType] : COMPLIANCE_RESOURCE_TYPES,
      action: options.action,
      actorId: options.actorId,
      from: options.from,
      to: options.to,
      before,
      limit: options.limit + 1,
    }),
  );
  return pageOf(rows, options.limit, (row) => ({ seq: row.seq }));
}
