/**
 * Customers - the persons and entities that own portfolios - with their KYC standing and risk rating. A
 * customer is created in one round trip (the row and its audit event), read in one, changed in two (decided
 * on one read, written in a batch that holds only if the customer is still the version read). Their identity
 * is sealed before it leaves the Worker; the audit trail names which identity fields changed, never their
 * values, so the trail holds a customer's history without copying their personal data.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement, listAuditEvents } from "../../db/repositories/audit.repository";
import {
  type CustomerRow,
  customerAsRead,
  customerById,
  listCustomers as listRows,
} from "../../db/repositories/customers.repository";
import {
  activeSanctionsList,
  matchesOfCustomer,
  supersedeMatches,
  upsertMatches,
} from "../../db/repositories/sanctions.repository";
import { asRead } from "../../db/requirements";
import { type CustomerKind, customers, type KycStatus, type RiskRating } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError, type FieldError } from "../../errors";
import type { SealingKeys } from "../crypto/sealed";
import { pageOf, seqCursor, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import {
  type CustomerIdentity,
  changedFields,
  identityProblems,
  openIdentity,
  sealIdentity,
} from "./customer-identity";
import { assessRisk } from "./customer-risk";
import { screened, screeningSummary } from "./customer-screening";
import { kycProblems, summaryOf } from "./customer-standing";
import { liveHits } from "./sanctions-screening";

export const customerNotFound = () => new AppError("not_found", "No such customer.");

/** A customer as the API shows it: the row with its identity opened. */
export type Customer = Omit<CustomerRow, "identitySealed"> & { identity: CustomerIdentity };

export interface NewCustomer {
  kind: CustomerKind;
  reference: string | null;
  country: string;
  pep: boolean;
  identity: CustomerIdentity;
}

export type CustomerChange = Partial<{
  reference: string | null;
  country: string;
  pep: boolean;
  kycStatus: KycStatus;
  kycLevel: number;
  identity: CustomerIdentity;
}>;

const refused = (errors: FieldError[]) =>
  new AppError("validation_failed", "The customer is not valid.", { errors });

const uniqueReference = <T>(reference: string | null | undefined, work: () => Promise<T>) =>
  unlessDuplicate(
    ["customers_tenant_reference_key"],
    () => new AppError("conflict", `A customer with reference ${reference} exists.`),
    work,
  );

/** A row with the identity it holds, known already (what a write just sealed) - nothing to decrypt. */
function withIdentity(row: CustomerRow, identity: CustomerIdentity): Customer {
  const { identitySealed: _, ...rest } = row;
  return { ...rest, identity };
}

async function opened(keys: SealingKeys, row: CustomerRow): Promise<Customer> {
  return withIdentity(row, await openIdentity(keys, row.id, row.identitySealed));
}

/**
 * Onboards a customer, screened against the tenant's active sanctions list: two round trips - the active
 * list's id (with the caller's standing), then the customer, its matches and its audit event in one batch.
 */
export async function createCustomer(
  ctx: TenantContext,
  keys: SealingKeys,
  files: R2Bucket,
  input: NewCustomer,
): Promise<Customer> {
  const problems = identityProblems(input.kind, input.identity, ctx.now());
  if (problems.length > 0) throw refused(problems);
  const { list } = await ctx.read((db) => ({
    list: read(activeSanctionsList(db, ctx.tenantId), (rows) => rows[0]),
  }));
  const id = crypto.randomUUID();
  const screening = await screened(ctx, files, list, {
    customerId: id,
    name: input.identity.name,
    origin: "onboarding",
    existing: [],
  });
  const risk = assessRisk({
    ...input,
    kycStatus: "unverified",
    openSanctionsHits: screening?.open ?? 0,
    confirmedSanctionsHits: screening?.confirmed ?? 0,
  });
  const values = {
    id,
    tenantId: ctx.tenantId,
    kind: input.kind,
    reference: input.reference,
    country: input.country,
    pep: input.pep,
    kycStatus: "unverified" as const,
    kycLevel: 1,
    riskRating: risk.rating,
    riskFactors: risk.factors,
    identitySealed: await sealIdentity(keys, id, input.identity),
  };
  const event = eventOf(ctx, {
    action: "customer.created",
    resourceType: "customer",
    resourceId: id,
    after: {
      ...summaryOf(values),
      riskFactors: risk.factors,
      sanctionsScreening: screeningSummary(screening),
    },
  });
  const matches = screening?.rows ?? [];
  const written = await uniqueReference(input.reference, () =>
    ctx.write("customers:write", null, (db) => ({
      row: read(db.insert(customers).values(values).returning(), (rows) => rows[0]),
      ...(matches.length > 0 ? { matches: read(upsertMatches(db, matches)) } : {}),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  if (!written.row) throw new Error("customer insert returned nothing");
  ctx.audited += 1;
  return withIdentity(written.row, input.identity);
}

async function customerRow(ctx: TenantContext, id: string): Promise<CustomerRow> {
  const [row] = await ctx.readOne((db) => customerById(db, ctx.tenantId, id));
  if (!row) throw customerNotFound();
  return row;
}

export async function getCustomer(ctx: TenantContext, keys: SealingKeys, id: string): Promise<Customer> {
  return opened(keys, await customerRow(ctx, id));
}

export async function listCustomers(
  ctx: TenantContext,
  keys: SealingKeys,
  options: { limit: number; cursor?: string | undefined; kycStatus?: KycStatus; riskRating?: RiskRating },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listRows(db, ctx.tenantId, { ...options, before, limit: options.limit + 1 }),
  );
  const page = pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
  return { ...page, items: await Promise.all(page.items.map((row) => opened(keys, row))) };
}

const STALE = "The customer kept changing while this request was made; retry it.";

/** Changes a customer; its risk is rated again from the changed factors. */
export async function updateCustomer(
  ctx: TenantContext,
  keys: SealingKeys,
  files: R2Bucket,
  id: string,
  change: CustomerChange,
): Promise<Customer> {
  return asRead(STALE, async () => {
    // The customer, its matches and the active list in the one read.
    const found = await ctx.read((db) => ({
      customer: read(customerById(db, ctx.tenantId, id), (rows) => rows[0]),
      matches: read(matchesOfCustomer(db, ctx.tenantId, id)),
      list: read(activeSanctionsList(db, ctx.tenantId), (rows) => rows[0]),
    }));
    if (!found.customer) throw customerNotFound();
    const before = await opened(keys, found.customer);
    const after = {
      reference: change.reference === undefined ? before.reference : change.reference,
      country: change.country ?? before.country,
      pep: change.pep ?? before.pep,
      kycStatus: change.kycStatus ?? before.kycStatus,
      kycLevel: change.kycLevel ?? before.kycLevel,
      identity: change.identity ?? before.identity,
    };
    const problems = [
      ...identityProblems(before.kind, after.identity, ctx.now()),
      ...kycProblems(after.kycStatus, after.kycLevel),
    ];
    if (problems.length > 0) throw refused(problems);
    // A new name is screened again; otherwise the matches stand as they are.
    const screening =
      after.identity.name === before.identity.name
        ? null
        : await screened(ctx, files, found.list, {
            customerId: id,
            name: after.identity.name,
            origin: "change",
            existing: found.matches,
          });
    const hits = screening ?? liveHits(found.matches);
    const risk = assessRisk({
      ...after,
      kind: before.kind,
      openSanctionsHits: hits.open,
      confirmedSanctionsHits: hits.confirmed,
    });
    const identityChanged = changedFields(before.identity, after.identity);
    const set = {
      reference: after.reference,
      country: after.country,
      pep: after.pep,
      kycStatus: after.kycStatus,
      kycLevel: after.kycLevel,
      riskRating: risk.rating,
      riskFactors: risk.factors,
      ...(identityChanged.length > 0 ? { identitySealed: await sealIdentity(keys, id, after.identity) } : {}),
      version: sql`${customers.version} + 1`,
    };
    const event = eventOf(ctx, {
      action: "customer.updated",
      resourceType: "customer",
      resourceId: id,
      before: summaryOf(before),
      after: {
        ...summaryOf({ ...before, ...after, riskRating: risk.rating }),
        identityChanged,
        ...(screening ? { sanctionsScreening: screeningSummary(screening) } : {}),
      },
    });
    const written = await uniqueReference(after.reference, () =>
      ctx.write("customers:write", null, (db) => ({
        asRead: read(customerAsRead(db, before)),
        row: read(
          db
            .update(customers)
            .set(set)
            .where(and(eq(customers.tenantId, ctx.tenantId), eq(customers.id, id)))
            .returning(),
          (rows) => rows[0],
        ),
        ...(screening
          ? {
              superseded: read(supersedeMatches(db, ctx.tenantId, [id], screening.kept)),
              ...(screening.rows.length > 0 ? { matches: read(upsertMatches(db, screening.rows)) } : {}),
            }
          : {}),
        audit: read(auditEventStatement(db, event)),
      })),
    );
    if (!written.row) throw customerNotFound();
    ctx.audited += 1;
    return withIdentity(written.row, after.identity);
  });
}

/** A customer's history: its audit events, newest first - one call, the customer's existence beside it. */
export async function customerHistory(
  ctx: TenantContext,
  id: string,
  options: { limit: number; cursor?: string | undefined },
) {
  const before = seqCursor(options.cursor);
  const { customer, events } = await ctx.read((db) => ({
    customer: read(customerById(db, ctx.tenantId, id), (rows) => rows[0]),
    events: read(
      listAuditEvents(db, {
        tenantId: ctx.tenantId,
        resourceType: "customer",
        resourceId: id,
        before,
        limit: options.limit + 1,
      }),
    ),
  }));
  if (!customer) throw customerNotFound();
  return pageOf(events, options.limit, (row) => ({ seq: row.seq }));
}
