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

/** KYC status and level agree: verified needs a checked document (level 2+), unverified has none (0-1). */
function kycProblems(status: KycStatus, level: number): FieldError[] {
  const at = (message: string): FieldError[] => [
    { location: "body", pointer: "/kyc_level", message, code: "invalid" },
  ];
  if (status === "verified" && level < 2) return at("a verified customer has KYC level 2 or 3");
  if (status === "unverified" && level > 1) return at("an unverified customer has KYC level 0 or 1");
  return [];
}

/** What the audit trail keeps of a customer: its standing, not its identity. */
const summaryOf = (
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

export async function createCustomer(
  ctx: TenantContext,
  keys: SealingKeys,
  input: NewCustomer,
): Promise<Customer> {
  const problems = identityProblems(input.kind, input.identity, ctx.now());
  if (problems.length > 0) throw refused(problems);
  const id = crypto.randomUUID();
  const risk = assessRisk({ ...input, kycStatus: "unverified", openSanctionsHits: 0 });
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
    after: { ...summaryOf(values), riskFactors: risk.factors },
  });
  const written = await uniqueReference(input.reference, () =>
    ctx.write("customers:write", null, (db) => ({
      row: read(db.insert(customers).values(values).returning(), (rows) => rows[0]),
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
  id: string,
  change: CustomerChange,
): Promise<Customer> {
  return asRead(STALE, async () => {
    const before = await opened(keys, await customerRow(ctx, id));
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
    const risk = assessRisk({ ...after, kind: before.kind, openSanctionsHits: 0 });
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
      after: { ...summaryOf({ ...before, ...after, riskRating: risk.rating }), identityChanged },
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
