import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  listOrganizations,
  type OrganizationRow,
  organizationAsRead,
  organizationById,
  organizationDependants,
} from "../../db/repositories/organizations.repository";
import { asRead } from "../../db/requirements";
import { organizations } from "../../db/schema";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "./audit";
import type { TenantContext } from "./context";
import { type OutboxRow, outboxStatement } from "./edge-standing";

const notFound = () => new AppError("not_found", "No such organization.");

/** What the trail records of an organization: everything it has, none of it secret. */
const summaryOf = (row: OrganizationRow) => ({ name: row.name, description: row.description });

/**
 * Runs a write whose name may collide: the unique index (tenant, lower(name)) is the judge, so two
 * concurrent creations of one name cannot both succeed. The violation aborts the transaction; it is
 * translated only once the transaction has rolled back.
 */
const naming = <T>(name: string | undefined, work: () => Promise<T>): Promise<T> =>
  unlessDuplicate(
    ["organizations_tenant_name_key"],
    () => new AppError("conflict", `An organization named "${name}" already exists.`),
    work,
  );

/** The organizations the caller can see (all for tenant admins, else their memberships), newest first. */
export async function listVisibleOrganizations(
  ctx: TenantContext,
  options: { limit: number; cursor: string | undefined; q: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listOrganizations(db, ctx.tenantId, {
      ids: ctx.visibleOrganizations(),
      nameContains: options.q,
      before,
      limit: options.limit + 1,
    }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/** Creates an organization: one batch - the caller's right, the row and its audit event. */
export async function createOrganization(
  ctx: TenantContext,
  input: { name: string; description: string | null },
): Promise<OrganizationRow> {
  const id = crypto.randomUUID();
  const event = eventOf(ctx, {
    action: "organization.created",
    resourceType: "organization",
    resourceId: id,
    after: { name: input.name, description: input.description },
  });
  const written = await naming(input.name, () =>
    ctx.write("organizations:create", null, (db) => ({
      row: read(
        db
          .insert(organizations)
          .values({ id, tenantId: ctx.tenantId, ...input })
          .returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  if (!written.row) throw new Error("organization insert returned nothing");
  ctx.audited += 1;
  return written.row;
}

/** One organization; visibility was checked by `authorize`, existence in the tenant is checked here. */
export async function getOrganization(ctx: TenantContext, id: string): Promise<OrganizationRow> {
  const [row] = await ctx.readOne((db) => organizationById(db, ctx.tenantId, id));
  if (!row) throw notFound();
  return row;
}

/**
 * Renames or describes an organization; `description: null` clears it. Decided on one read, written in one
 * batch that holds only if the organization is still as read (else decided again).
 */
export async function updateOrganization(
  ctx: TenantContext,
  id: string,
  patch: { name?: string | undefined; description?: string | null | undefined },
): Promise<OrganizationRow> {
  const fields: { name?: string; description?: string | null } = {};
  if (patch.name !== undefined) fields.name = patch.name;
  if (patch.description !== undefined) fields.description = patch.description;
  return asRead("The organization kept changing while this request was made; retry it.", async () => {
    const [before] = await ctx.readOne((db) => organizationById(db, ctx.tenantId, id));
    if (!before) throw notFound();
    const after = { ...before, ...fields };
    const event = eventOf(ctx, {
      action: "organization.updated",
      resourceType: "organization",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf(after),
    });
    const written = await naming(fields.name, () =>
      ctx.write("organizations:update", id, (db) => ({
        asRead: read(organizationAsRead(db, before)),
        row: read(
          db
            .update(organizations)
            .set({ ...fields, updatedAt: sql`now()` })
            .where(and(eq(organizations.tenantId, ctx.tenantId), eq(organizations.id, id)))
            .returning(),
          (rows) => rows[0],
        ),
        audit: read(auditEventStatement(db, event)),
      })),
    );
    if (!written.row) throw notFound();
    ctx.audited += 1;
    return written.row;
  });
}

/**
 * Deletes an organization unless live API keys are confined to it (deleting it would silently kill them;
 * they are to be revoked first) or portfolios belong to it (their ledgers are history). Memberships and
 * invitations go with it by cascade. Decided on one read; the delete holds only if nothing has come to
 * depend on it since.
 */
export async function deleteOrganization(ctx: TenantContext, id: string): Promise<OutboxRow[]> {
  const { tenantId } = ctx;
  return asRead("The organization kept changing while this request was made; retry it.", async () => {
    const now = ctx.now();
    const found = await ctx.read((db) => ({
      row: read(organizationById(db, tenantId, id), (rows) => rows[0]),
      dependants: read(organizationDependants(db, tenantId, id, now), (rows) => rows[0]),
    }));
    const { row } = found;
    if (!row) throw notFound();
    const live = found.dependants?.liveKeys ?? 0;
    if (live > 0) {
      throw new AppError(
        "conflict",
        `${live} live API key${live === 1 ? " is" : "s are"} confined to this organization; revoke ${live === 1 ? "it" : "them"} first.`,
      );
    }
    // Portfolios keep their history (their ledgers are append-only): they hold their organization.
    const held = found.dependants?.portfolios ?? 0;
    if (held > 0) {
      throw new AppError(
        "conflict",
        `${held} portfolio${held === 1 ? " belongs" : "s belong"} to this organization; it cannot be deleted.`,
      );
    }
    const event = eventOf(ctx, {
      action: "organization.deleted",
      resourceType: "organization",
      resourceId: id,
      before: summaryOf(row),
    });
    const written = await ctx.write("organizations:delete", null, (db) => ({
      asRead: read(organizationAsRead(db, row, { now })),
      deleted: read(
        db.delete(organizations).where(and(eq(organizations.tenantId, tenantId), eq(organizations.id, id))),
      ),
      audit: read(auditEventStatement(db, event)),
      // Its members' standing changed by cascade: whose, the triggers' outbox rows say.
      outbox: read(outboxStatement(db, tenantId)),
    }));
    ctx.audited += 1;
    return written.outbox;
  });
}
