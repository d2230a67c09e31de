/**
 * Identity verification of a customer, from the tenant's side: starting one (a session opened at the provider,
 * whose page the customer is sent to), reading them, and an analyst's review of one whose result did not
 * agree with the customer. Starting reads the customer in one round trip, asks the provider, and writes the
 * verification, the customer's standing (pending) and the events in a second; a review is also two.
 */
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { customerById } from "../../db/repositories/customers.repository";
import {
  customerOfVerification,
  matchesOfVerifiedCustomer,
  openVerificationOf,
  updateVerification,
  type VerificationRow,
  verificationById,
  verificationStill,
  verificationsPage,
} from "../../db/repositories/identity-verifications.repository";
import { matchesOfCustomer } from "../../db/repositories/sanctions.repository";
import { meetingRequirements } from "../../db/requirements";
import { identityVerifications, type VerificationOutcome, type VerificationStatus } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import type { LogLevel } from "../../logger";
import type { SealingKeys } from "../crypto/sealed";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { openIdentity } from "./customer-identity";
import { standingChange } from "./customer-standing";
import { customerNotFound } from "./customers";
import { standingAfter } from "./identity-outcome";
import {
  type IdentityProviderSettings,
  notConfigured,
  openSession,
  SESSION_LIFETIME_MS,
} from "./identity-provider";

export type { VerificationRow };

const verificationNotFound = () => new AppError("not_found", "No such identity verification.");
const STALE = "The customer or the verification changed while this request was made; retry it.";

const refused = (message: string) =>
  new AppError("validation_failed", "The customer cannot be verified this way.", {
    errors: [{ location: "path", pointer: "id", message, code: "invalid" }],
  });

/** What a session that lapsed unused is kept as when a new one replaces it. */
const LAPSED: VerificationOutcome = {
  decision: "expired",
  document: null,
  selfie: null,
  nameSimilarity: null,
  dateOfBirthMatches: null,
  reasons: ["session_lapsed"],
};

/**
 * Starts a customer's verification: a person with a stated date of birth, with no verification open (one
 * pending past its session's expiry is closed as lapsed). The customer goes pending unless verified already.
 */
export async function startVerification(
  ctx: TenantContext,
  keys: SealingKeys,
  provider: IdentityProviderSettings | null,
  input: { customerId: string; callbackUrl: string; logLevel: LogLevel },
): Promise<VerificationRow> {
  if (!provider) throw notConfigured();
  const found = await ctx.read((db) => ({
    customer: read(customerById(db, ctx.tenantId, input.customerId), (rows) => rows[0]),
    matches: read(matchesOfCustomer(db, ctx.tenantId, input.customerId)),
    open: read(openVerificationOf(db, ctx.tenantId, input.customerId), (rows) => rows[0]),
  }));
  const { customer, matches, open } = found;
  if (!customer) throw customerNotFound();
  if (customer.kind !== "person") throw refused("only a person is verified with a document and a selfie");
  const identity = await openIdentity(keys, customer.id, customer.identitySealed);
  if (!identity.date_of_birth) throw refused("state the customer's date of birth first");
  const now = ctx.now();
  const lapsed = open?.status === "pending" && open.expiresAt <= now ? open : undefined;
  if (open && !lapsed) {
    throw new AppError("conflict", `Verification ${open.id} of this customer is ${open.status}.`);
  }
  const id = crypto.randomUUID();
  const session = await openSession(
    provider,
    {
      reference: `${ctx.tenantId}:${id}`,
      person: { full_name: identity.name, date_of_birth: identity.date_of_birth, country: customer.country },
      callbackUrl: input.callbackUrl,
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS),
      idempotencyKey: id,
    },
    input.logLevel,
  );
  const change = standingChange(customer, matches, standingAfter("pending", customer), (before, after) =>
    eventOf(ctx, {
      action: "customer.updated",
      resourceType: "customer",
      resourceId: customer.id,
      before,
      after: { ...after, identityVerification: id },
    }),
  );
  const started = eventOf(ctx, {
    action: "identity_verification.started",
    resourceType: "identity_verification",
    resourceId: id,
    after: {
      customerId: customer.id,
      providerSessionId: session.id,
      expiresAt: session.expiresAt,
      ...(lapsed ? { replaces: lapsed.id } : {}),
    },
  });
  const written = await meetingRequirements({ stale: () => new AppError("conflict", STALE) }, () =>
    unlessDuplicate(
      ["identity_verifications_one_open_key"],
      () => new AppError("conflict", "A verification of this customer was started meanwhile."),
      () =>
        ctx.write("customers:write", null, (db) => ({
          ...(lapsed
            ? {
                lapsedStill: read(verificationStill(db, lapsed, "pending")),
                lapsed: read(
                  updateVerification(db, lapsed, { status: "expired", decidedAt: now, outcome: LAPSED }),
                ),
              }
            : {}),
          row: read(
            db
              .insert(identityVerifications)
              .values({
                id,
                tenantId: ctx.tenantId,
                customerId: customer.id,
                providerSessionId: session.id,
                sessionUrl: session.url,
                expiresAt: session.expiresAt,
                startedByType: ctx.actor.type,
                startedBy: ctx.actor.id,
              })
              .returning(),
            (rows) => rows[0],
          ),
          ...(change ? change(db) : {}),
          audit: read(auditEventStatement(db, started)),
        })),
    ),
  );
  ctx.audited += change ? 2 : 1;
  if (!written.row) throw new Error("verification insert returned nothing");
  return written.row;
}

export async function getVerification(ctx: TenantContext, id: string): Promise<VerificationRow> {
  const [row] = await ctx.readOne((db) => verificationById(db, ctx.tenantId, id));
  if (!row) throw verificationNotFound();
  return row;
}

export async function listVerifications(
  ctx: TenantContext,
  options: {
    limit: number;
    cursor?: string | undefined;
    customerId?: string | undefined;
    status?: VerificationStatus | undefined;
  },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    verificationsPage(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/**
 * An analyst's decision on a verification awaiting review: approve (the customer verified) or reject (the
 * customer rejected), with the reason. Someone other than who started it decides.
 */
export async function reviewVerification(
  ctx: TenantContext,
  id: string,
  review: { decision: "approve" | "reject"; note: string },
): Promise<VerificationRow> {
  // The verification, its customer and the customer's matches in one read.
  const found = await ctx.read((db) => ({
    verification: read(verificationById(db, ctx.tenantId, id), (rows) => rows[0]),
    customer: read(customerOfVerification(db, ctx.tenantId, id), (rows) => rows[0]),
    matches: read(matchesOfVerifiedCustomer(db, ctx.tenantId, id)),
  }));
  const { verification, customer, matches } = found;
  if (!verification || !customer) throw verificationNotFound();
  if (verification.status !== "needs_review") {
    throw new AppError("conflict", `The verification is ${verification.status}, not awaiting review.`);
  }
  if (ctx.actor.type !== "user") {
    throw new AppError("forbidden", "A verification is reviewed by a person, not an API key.");
  }
  if (verification.startedBy === ctx.actor.id) {
    throw new AppError("four_eyes", "Who started a verification does not review it.");
  }
  const status = review.decision === "approve" ? "verified" : "rejected";
  const change = standingChange(customer, matches, standingAfter(status, customer), (before, after) =>
    eventOf(ctx, {
      action: "customer.updated",
      resourceType: "customer",
      resourceId: verification.customerId,
      before,
      after: { ...after, identityVerification: id },
    }),
  );
  const now = ctx.now();
  const event = eventOf(ctx, {
    action: "identity_verification.reviewed",
    resourceType: "identity_verification",
    resourceId: id,
    before: { status: verification.status },
    after: { status, note: review.note },
  });
  const written = await meetingRequirements({ stale: () => new AppError("conflict", STALE) }, () =>
    ctx.write("customers:write", null, (db) => ({
      still: read(verificationStill(db, verification, "needs_review")),
      row: read(
        updateVerification(db, verification, {
          status,
          reviewedBy: ctx.actor.id,
          reviewedAt: now,
          reviewNote: review.note,
        }),
        (rows) => rows[0],
      ),
      ...(change ? change(db) : {}),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  ctx.audited += change ? 2 : 1;
  if (!written.row) throw verificationNotFound();
  return written.row;
}
