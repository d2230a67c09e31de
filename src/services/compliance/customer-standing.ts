/**
 * A customer's KYC standing - its status and level - and the rule that they agree, with what the audit trail
 * keeps of a customer (its standing, never its identity). A change of standing made by another step (an
 * identity verification's result) is stated here as statements for that step's own batch: the customer
 * still the version read, its risk rated again from its stored factors, and the event in its history.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import { auditEventStatement, type NewAuditEvent } from "../../db/repositories/audit.repository";
import { type CustomerRow, customerAsRead } from "../../db/repositories/customers.repository";
import type { SanctionsMatchRow } from "../../db/repositories/sanctions.repository";
import { customers, type KycStatus } from "../../db/schema";
import type { FieldError } from "../../errors";
import { assessRisk } from "./customer-risk";
import { liveHits } from "./sanctions-screening";

/** KYC status and level agree: verified needs a checked document (level 2+), unverified has none (0-1). */
export function kycProblems(status: KycStatus, level: number): FieldError[] {
  const at = (message: string): FieldError[] => [
    { location: "body", pointer: "/kyc_level", message, code: "invalid" },
  ];
  if (status === "verified" && level < 2) return at("a verified customer has KYC level 2 or 3");
  if (status === "unverified" && level > 1) return at("an unverified customer has KYC level 0 or 1");
  return [];
}

/** What the audit trail keeps of a customer: its standing, not its identity. */
export const summaryOf = (
  c: Pick<CustomerRow, "kind" | "reference" | "country" | "pep" | "kycStatus" | "kycLevel" | "riskRating">,
) => ({
  kind: c.kind,
  reference: c.reference,
  country: c.country,
  pep: c.pep,
  kycStatus: c.kycStatus,
  kycLevel: c.kycLevel,
  riskRating: c.riskRating,
});

export interface Standing {
  kycStatus: KycStatus;
  kycLevel: number;
}

/**
 * The statements that move `customer` to `to` in a batch of its caller's (none when it is there already):
 * the batch fails `stale` if the customer changed since it was read. `event` makes the history's event from
 * the customer's summary before and after.
 */
export function standingChange(
  customer: CustomerRow,
  matches: readonly SanctionsMatchRow[],
  to: Standing,
  event: (before: Record<string, unknown>, after: Record<string, unknown>) => NewAuditEvent,
) {
  if (customer.kycStatus === to.kycStatus && customer.kycLevel === to.kycLevel) return null;
  const hits = liveHits(matches);
  const risk = assessRisk({
    kind: customer.kind,
    country: customer.country,
    pep: customer.pep,
    kycStatus: to.kycStatus,
    openSanctionsHits: hits.open,
    confirmedSanctionsHits: hits.confirmed,
  });
  const audit = event(summaryOf(customer), {
    ...summaryOf({ ...customer, ...to, riskRating: risk.rating }),
    riskFactors: risk.factors,
  });
  return (db: Querier) => ({
    customerAsRead: read(customerAsRead(db, customer)),
    customer: read(
      db
        .update(customers)
        .set({
          ...to,
          riskRating: risk.rating,
          riskFactors: risk.factors,
          version: sql`${customers.version} + 1`,
        })
        .where(and(eq(customers.tenantId, customer.tenantId), eq(customers.id, customer.id)))
        .returning(),
      (rows) => rows[0],
    ),
    customerAudit: read(auditEventStatement(db, audit)),
  });
}
