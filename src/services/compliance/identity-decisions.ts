/**
 * The provider's decision on a verification, as its signed callback delivers it. The signature is checked
 * first (over the raw body, within its window); the reference it signs names the tenant and the verification,
 * so the decision is read and written in that tenant's scope: the verification, its customer and the
 * customer's matches in one round trip, the verification's result, the customer's new standing and both
 * events in a second. A repeated delivery of the event that decided it changes nothing; another event for a
 * decided verification is refused (409), visible in the provider's delivery log.
 */
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import { auditEventStatement, type NewAuditEvent } from "../../db/repositories/audit.repository";
import {
  customerOfVerification,
  matchesOfVerifiedCustomer,
  updateVerification,
  type VerificationRow,
  verificationById,
  verificationStill,
} from "../../db/repositories/identity-verifications.repository";
import { asRead } from "../../db/requirements";
import { AppError } from "../../errors";
import type { SealingKeys } from "../crypto/sealed";
import { openIdentity } from "./customer-identity";
import { standingChange } from "./customer-standing";
import { assessDecision, standingAfter } from "./identity-outcome";
import {
  type IdentityProviderSettings,
  notConfigured,
  type ProviderEvent,
  referenceOf,
  signatureHolds,
} from "./identity-provider";

export interface DeliveredDecision {
  /** The body exactly as received: what the signature covers. */
  rawBody: string;
  signature: string | undefined;
  event: ProviderEvent;
  now: Date;
  requestId: string;
  ip: string | null;
}

const unknownVerification = () => new AppError("not_found", "No such identity verification.");

/** Records the decision; `recorded` is false for a repeated delivery. */
export async function recordDecision(
  database: RequestDatabase,
  keys: SealingKeys,
  provider: IdentityProviderSettings | null,
  delivered: DeliveredDecision,
): Promise<{ recorded: boolean; verification: VerificationRow }> {
  if (!provider) throw notConfigured();
  const { event, now } = delivered;
  if (!(await signatureHolds(provider.webhookSecrets, delivered.signature, delivered.rawBody, now))) {
    throw new AppError("unauthorized", "The signature is missing, wrong or outside its five-minute window.");
  }
  const reference = referenceOf(event.session.reference);
  if (!reference) throw unknownVerification();
  const { tenantId, verificationId } = reference;
  const systemEvent = (entry: Pick<NewAuditEvent, "action" | "resourceType" | "resourceId" | "summary">) => ({
    ...entry,
    tenantId,
    actorType: "system" as const,
    actorId: null,
    requestId: delivered.requestId,
    ip: delivered.ip,
  });
  return asRead("The verification changed while its decision was recorded; deliver it again.", async () => {
    const found = await database.read({ tenantId }, (db) => ({
      verification: read(verificationById(db, tenantId, verificationId), (rows) => rows[0]),
      customer: read(customerOfVerification(db, tenantId, verificationId), (rows) => rows[0]),
      matches: read(matchesOfVerifiedCustomer(db, tenantId, verificationId)),
    }));
    const { verification, customer, matches } = found;
    if (!verification || !customer || verification.providerSessionId !== event.session.id) {
      throw unknownVerification();
    }
    if (verification.status !== "pending") {
      if (verification.providerEventId === event.id) return { recorded: false, verification };
      throw new AppError("conflict", `The verification was decided already (${verification.status}).`);
    }
    const identity = await openIdentity(keys, customer.id, customer.identitySealed);
    const { status, outcome } = assessDecision(event, identity, now.toISOString().slice(0, 10));
    const change = standingChange(customer, matches, standingAfter(status, customer), (before, after) =>
      systemEvent({
        action: "customer.updated",
        resourceType: "customer",
        resourceId: customer.id,
        summary: { before, after: { ...after, identityVerification: verificationId } },
      }),
    );
    const decided = systemEvent({
      action: "identity_verification.decided",
      resourceType: "identity_verification",
      resourceId: verificationId,
      summary: {
        before: { status: verification.status },
        after: { status, providerEventId: event.id, outcome },
      },
    });
    const written = await database.read({ tenantId }, (db) => ({
      still: read(verificationStill(db, verification, "pending")),
      row: read(
        updateVerification(db, verification, { status, outcome, providerEventId: event.id, decidedAt: now }),
        (rows) => rows[0],
      ),
      ...(change ? change(db) : {}),
      audit: read(auditEventStatement(db, decided)),
    }));
    if (!written.row) throw unknownVerification();
    return { recorded: true, verification: written.row };
  });
}
