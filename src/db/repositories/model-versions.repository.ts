import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { modelActivations, modelVersions } from "../tables/risk";

export type ModelVersionRow = typeof modelVersions.$inferSelect;
export type ActivationRow = typeof modelActivations.$inferSelect;

/**
 * How long an upload's claim on a version holds while not ready. An upload writes its files within seconds
 * of its claim; a claim older than this is one whose upload ended before its files were all written, and the
 * next upload of that version takes it over.
 */
export const UPLOAD_LEASE_MINUTES = 10;

/** The requirement code of a ready mark that found its claim gone (taken over once its lease ran out). */
export const CLAIM_LOST = "claim_lost";

/** The tenant's versions whose files are all written: a version still being uploaded is no one's yet. */
const readyOf = (tenantId: string) =>
  and(eq(modelVersions.tenantId, tenantId), eq(modelVersions.filesReady, true));

/** The claim `id`, if it is still one: not ready. */
const claimOf = (tenantId: string, id: string) =>
  and(eq(modelVersions.tenantId, tenantId), eq(modelVersions.id, id), eq(modelVersions.filesReady, false));

/** Every column of a claim but its version's key, as the insert proposed it (`excluded`): a takeover's set. */
const takeover = Object.fromEntries(
  Object.entries(getTableColumns(modelVersions))
    .filter(([key]) => !["tenantId", "name", "version"].includes(key))
    .map(([key, column]) => [key, sql`excluded.${sql.identifier(column.name)}`]),
);

/**
 * Claims a version for an upload, before any of its files is written: its row, not ready - or, when the
 * version's row is a claim still not ready after the lease, that row taken over with these values. Returns
 * no row when the version exists or another upload's claim on it is live; of concurrent claims the unique
 * index lets one through.
 */
export function claimModelVersion(db: Querier, values: typeof modelVersions.$inferInsert & { id: string }) {
  return db
    .insert(modelVersions)
    .values({ ...values, filesReady: false })
    .onConflictDoUpdate({
      target: [modelVersions.tenantId, modelVersions.name, modelVersions.version],
      set: takeover,
      setWhere: sql`not ${modelVersions.filesReady}
                    and ${modelVersions.createdAt} < now() - make_interval(mins => ${UPLOAD_LEASE_MINUTES})`,
    })
    .returning();
}

/** Marks the claim `id` ready, its files written - or aborts the batch (`CLAIM_LOST`) if it is no longer that claim. */
export function modelVersionReady(db: Querier, tenantId: string, id: string) {
  return db.execute(sql`
    with ready as (
      update ${modelVersions} set files_ready = true
       where ${claimOf(tenantId, id)}
      returning id)
    select finedge_require(exists (select 1 from ready), ${CLAIM_LOST})`);
}

/** Gives the claim `id` up (its files could not be written), if it is still that claim. */
export function releaseModelVersion(db: Querier, tenantId: string, id: string) {
  return db.delete(modelVersions).where(claimOf(tenantId, id));
}

/** The tenant's own versions of every model (or of one), oldest first; versions still being uploaded are not. */
export function listModelVersions(tx: Querier, tenantId: string, name?: string) {
  const conditions = [readyOf(tenantId)];
  if (name !== undefined) conditions.push(eq(modelVersions.name, name));
  return tx
    .select()
    .from(modelVersions)
    .where(and(...conditions))
    .orderBy(asc(modelVersions.name), asc(modelVersions.createdAt));
}

/** The tenant's activations (its choice of version per model). */
export function listActivations(tx: Querier, tenantId: string) {
  return tx.select().from(modelActivations).where(eq(modelActivations.tenantId, tenantId));
}

/** One model's activation (a list of one row, or none); `activationAsRead` locks it in a write's batch. */
export function activationOf(db: Querier, tenantId: string, name: string) {
  return db
    .select()
    .from(modelActivations)
    .where(and(eq(modelActivations.tenantId, tenantId), eq(modelActivations.name, name)))
    .limit(1);
}

export function upsertActivation(db: Querier, values: typeof modelActivations.$inferInsert) {
  return db
    .insert(modelActivations)
    .values(values)
    .onConflictDoUpdate({
      target: [modelActivations.tenantId, modelActivations.name],
      set: {
        version: values.version,
        previousVersion: values.previousVersion ?? null,
        source: values.source,
        actorType: values.actorType,
        actorId: values.actorId,
        activatedAt: values.activatedAt,
      },
    })
    .returning();
}

/**
 * A statement that fails its batch with `stale` unless the model's activation and the tenant's own versions of
 * it are still as read (`activation` undefined: none), locking the activation until the batch ends.
 */
export function activationAsRead(
  db: Querier,
  tenantId: string,
  name: string,
  read: { activation: ActivationRow | undefined; ownVersions: number },
) {
  const { activation } = read;
  const same = activation
    ? sql`exists (select 1 from ${modelActivations}
                   where ${modelActivations.tenantId} = ${tenantId} and ${modelActivations.name} = ${name}
                     and ${modelActivations.version} = ${activation.version}
                     and ${modelActivations.previousVersion} is not distinct from ${activation.previousVersion}
                   for update)`
    : sql`not exists (select 1 from ${modelActivations}
                       where ${modelActivations.tenantId} = ${tenantId} and ${modelActivations.name} = ${name})`;
  return requirement(
    db,
    sql`${same} and (select count(*) from ${modelVersions}
                      where ${readyOf(tenantId)} and ${modelVersions.name} = ${name}) = ${read.ownVersions}`,
    "stale",
  );
}
