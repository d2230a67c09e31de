import {
  countLiveKeysConfinedTo,
  deleteOrganization as deleteRow,
  insertOrganization,
  listOrganizations,
  lockOrganization,
  type OrganizationRow,
  organizationById,
  updateOrganization as updateRow,
} from "../../db/repositories/organizations.repository";
import { countPortfoliosOf } from "../../db/repositories/portfolios.repository";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";

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

export async function createOrganization(
  ctx: TenantContext,
  input: { name: string; description: string | null },
): Promise<OrganizationRow> {
  return naming(input.name, () =>
    ctx.transaction(async (tx) => {
      const row = await insertOrganization(tx, { tenantId: ctx.tenantId, ...input });
      await recordAudit(tx, ctx, {
        action: "organization.created",
        resourceType: "organization",
        resourceId: row.id,
        after: summaryOf(row),
      });
      return row;
    }),
  );
}

/** One organization; visibility was checked by `authorize`, existence in the tenant is checked here. */
export async function getOrganization(ctx: TenantContext, id: string): Promise<OrganizationRow> {
  const [row] = await ctx.readOne((db) => organizationById(db, ctx.tenantId, id));
  if (!row) throw notFound();
  return row;
}

/** Renames or describes an organization; `description: null` clears it. */
export async function updateOrganization(
  ctx: TenantContext,
  id: string,
  patch: { name?: string | undefined; description?: string | null | undefined },
): Promise<OrganizationRow> {
  const fields: { name?: string; description?: string | null } = {};
  if (patch.name !== undefined) fields.name = patch.name;
  if (patch.description !== undefined) fields.description = patch.description;
  return naming(fields.name, () =>
    ctx.transaction(async (tx) => {
      const before = await lockOrganization(tx, ctx.tenantId, id, "no key update");
      if (!before) throw notFound();
      const after = Object.keys(fields).length > 0 ? await updateRow(tx, ctx.tenantId, id, fields) : before;
      if (!after) throw notFound();
      await recordAudit(tx, ctx, {
        action: "organization.updated",
        resourceType: "organization",
        resourceId: id,
        before: summaryOf(before),
        after: summaryOf(after),
      });
      return after;
    }),
  );
}

/**
 * Deletes an organization unless live API keys are confined to it (deleting it would silently kill them;
 * they are to be revoked first). Memberships and invitations go with it by cascade.
 */
export async function deleteOrganization(ctx: TenantContext, id: string): Promise<void> {
  await ctx.transaction(async (tx) => {
    // Locked first, so a key confined to it meanwhile either is counted or waits and then fails its FK.
    const row = await lockOrganization(tx, ctx.tenantId, id, "update");
    if (!row) throw notFound();
    const live = await countLiveKeysConfinedTo(tx, ctx.tenantId, id, ctx.now());
    if (live > 0) {
      throw new AppError(
        "conflict",
        `${live} live API key${live === 1 ? " is" : "s are"} confined to this organization; revoke ${live === 1 ? "it" : "them"} first.`,
      );
    }
    // Portfolios keep their history (their ledgers are append-only): they hold their organization.
    const held = await countPortfoliosOf(tx, ctx.tenantId, id);
    if (held > 0) {
      throw new AppError(
        "conflict",
        `${held} portfolio${held === 1 ? " belongs" : "s belong"} to this organization; it cannot be deleted.`,
      );
    }
    await deleteRow(tx, ctx.tenantId, id);
    await recordAudit(tx, ctx, {
      action: "organization.deleted",
      resourceType: "organization",
      resourceId: id,
      before: summaryOf(row),
    });
  });
}
