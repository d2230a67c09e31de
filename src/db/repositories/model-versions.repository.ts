import { and, asc, eq } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
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

/** One model's activation, locked: concurrent activations of one model queue behind each other. */
export async function lockActivation(tx: Transaction, tenantId: string, name: string) {
  const [row] = await tx
    .select()
    .from(modelActivations)
    .where(and(eq(modelActivations.tenantId, tenantId), eq(modelActivations.name, name)))
    .limit(1)
    .for("update");
  return row;
}

export function activationOf(db: Querier, tenantId: string, name: string) {
  return db
    .select()
    .from(modelActivations)
    .where(and(eq(modelActivations.tenantId, tenantId), eq(modelActivations.name, name)))
    .limit(1);
}

export async function upsertActivation(
  tx: Transaction,
  values: typeof modelActivations.$inferInsert,
): Promise<ActivationRow> {
  const [row] = await tx
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
  if (!row) throw new Error("activation upsert returned nothing");
  return row;
}
