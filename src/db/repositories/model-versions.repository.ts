import { and, asc, eq, sql } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { requirement } from "../requirements";
import { modelActivations, modelVersions } from "../tables/risk";

export type ModelVersionRow = typeof modelVersions.$inferSelect;
export type ActivationRow = typeof modelActivations.$inferSelect;

export async function insertModelVersion(
  tx: Transaction,
  values: typeof modelVersions.$inferInsert,
): Promise<ModelVersionRow> {
  const [row] = await tx.insert(modelVersions).values(values).returning();
  if (!row) throw new Error("model version insert returned nothing");
  return row;
}

/** The tenant's own versions of every model (or of one), oldest first. */
export function listModelVersions(tx: Querier, tenantId: string, name?: string) {
  const conditions = [eq(modelVersions.tenantId, tenantId)];
  if (name !== undefined) conditions.push(eq(modelVersions.name, name));
  return tx
    .select()
    .from(modelVersions)
    .where(and(...conditions))
    .orderBy(asc(modelVersions.name), asc(modelVersions.createdAt));
}

export async function findModelVersion(tx: Transaction, tenantId: string, name: string, version: string) {
  const [row] = await tx
    .select()
    .from(modelVersions)
    .where(
      and(
        eq(modelVersions.tenantId, tenantId),
        eq(modelVersions.name, name),
        eq(modelVersions.version, version),
      ),
    )
    .limit(1);
  return row;
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
                      where ${modelVersions.tenantId} = ${tenantId} and ${modelVersions.name} = ${name}) = ${read.ownVersions}`,
    "stale",
  );
}
