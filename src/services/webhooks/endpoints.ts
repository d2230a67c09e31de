/**
 * A tenant's webhook endpoints: registered with a URL that may be sent to (targets.ts), the events they take
 * and a signing secret made here, sealed at rest and shown once; changed (a disabled endpoint enabled again
 * starts with a clean record); deleted with their delivery log. Each is one round trip, audited.
 */
import { and, eq, sql } from "drizzle-orm";
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { type EndpointRow, endpointById, endpointsPage } from "../../db/repositories/webhooks.repository";
import { meetingRequirements, requirement } from "../../db/requirements";
import { type WebhookEventType, webhookEndpoints } from "../../db/schema";
import { AppError } from "../../errors";
import { type SealingKeys, seal } from "../crypto/sealed";
import { webhookSecretContext } from "../crypto/secrets-at-rest";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { newWebhookSecret } from "./signing";
import { targetProblem } from "./targets";

export type { EndpointRow };

export const endpointNotFound = () => new AppError("not_found", "No such webhook endpoint.");

const refusedUrl = (problem: string) =>
  new AppError("validation_failed", "The endpoint's URL cannot be sent to.", {
    errors: [{ location: "body", pointer: "/url", message: problem, code: "invalid" }],
  });

/** What the audit trail keeps of an endpoint: never its secret. */
const summaryOf = (e: Pick<EndpointRow, "url" | "events" | "description" | "status">) => ({
  url: e.url,
  events: e.events,
  description: e.description,
  status: e.status,
});

export async function createEndpoint(
  ctx: TenantContext,
  keys: SealingKeys,
  input: { url: string; events: WebhookEventType[]; description: string | null },
  local: boolean,
): Promise<{ endpoint: EndpointRow; secret: string }> {
  const problem = targetProblem(input.url, local);
  if (problem) throw refusedUrl(problem);
  const id = crypto.randomUUID();
  const secret = newWebhookSecret();
  const values = {
    id,
    tenantId: ctx.tenantId,
    url: input.url,
    events: [...new Set(input.events)],
    description: input.description,
    secretSealed: await seal(keys, secret, webhookSecretContext(id)),
    createdByType: ctx.actor.type,
    createdBy: ctx.actor.id,
  };
  const event = eventOf(ctx, {
    action: "webhook_endpoint.created",
    resourceType: "webhook_endpoint",
    resourceId: id,
    after: summaryOf({ ...values, status: "enabled" }),
  });
  const written = await ctx.write("webhooks:manage", null, (db) => ({
    row: read(db.insert(webhookEndpoints).values(values).returning(), (rows) => rows[0]),
    audit: read(auditEventStatement(db, event)),
  }));
  if (!written.row) throw new Error("endpoint insert returned nothing");
  ctx.audited += 1;
  return { endpoint: written.row, secret };
}

export async function listEndpoints(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    endpointsPage(db, ctx.tenantId, { ...(before ? { before } : {}), limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function getEndpoint(ctx: TenantContext, id: string): Promise<EndpointRow> {
  const [row] = await ctx.readOne((db) => endpointById(db, ctx.tenantId, id));
  if (!row) throw endpointNotFound();
  return row;
}

/**
 * Changes an endpoint in one round trip: the change holds only on the version it names (409 otherwise, nothing
 * changed and nothing audited).
 */
export async function updateEndpoint(
  ctx: TenantContext,
  id: string,
  change: {
    version: number;
    url?: string | undefined;
    events?: WebhookEventType[] | undefined;
    description?: string | null | undefined;
    enabled?: boolean | undefined;
  },
  local: boolean,
): Promise<EndpointRow> {
  if (change.url !== undefined) {
    const problem = targetProblem(change.url, local);
    if (problem) throw refusedUrl(problem);
  }
  const set = {
    ...(change.url !== undefined ? { url: change.url } : {}),
    ...(change.events !== undefined ? { events: [...new Set(change.events)] } : {}),
    ...(change.description !== undefined ? { description: change.description } : {}),
    // Enabled again: a fresh start. Disabled by hand: said so.
    ...(change.enabled === true
      ? { status: "enabled" as const, disabledReason: null, failingSince: null }
      : {}),
    ...(change.enabled === false
      ? { status: "disabled" as const, disabledReason: "disabled by the tenant" }
      : {}),
    version: sql`${webhookEndpoints.version} + 1`,
  };
  const event = eventOf(ctx, {
    action: "webhook_endpoint.updated",
    resourceType: "webhook_endpoint",
    resourceId: id,
    after: {
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: change.events } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
    },
  });
  const stale = () =>
    new AppError("conflict", `The endpoint changed since version ${change.version}; read it again.`);
  const written = await meetingRequirements({ stale }, () =>
    ctx.write("webhooks:manage", null, (db) => ({
      still: read(atVersion(db, ctx.tenantId, id, change.version)),
      row: read(
        db
          .update(webhookEndpoints)
          .set(set)
          .where(and(eq(webhookEndpoints.tenantId, ctx.tenantId), eq(webhookEndpoints.id, id)))
          .returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  ).catch(async (error: unknown) => {
    // Gone, or at another version: which one, read only on this path.
    if (error instanceof AppError && error.code === "conflict") await getEndpoint(ctx, id);
    throw error;
  });
  if (!written.row) throw endpointNotFound();
  ctx.audited += 1;
  return written.row;
}

/** Deletes an endpoint with its delivery log (its events stay: other endpoints' deliveries may name them). */
export async function deleteEndpoint(ctx: TenantContext, id: string, version: number): Promise<void> {
  const event = eventOf(ctx, {
    action: "webhook_endpoint.deleted",
    resourceType: "webhook_endpoint",
    resourceId: id,
  });
  const stale = () =>
    new AppError("conflict", `The endpoint changed since version ${version}; read it again.`);
  await meetingRequirements({ stale }, () =>
    ctx.write("webhooks:manage", null, (db) => ({
      still: read(atVersion(db, ctx.tenantId, id, version)),
      gone: read(
        db
          .delete(webhookEndpoints)
          .where(and(eq(webhookEndpoints.tenantId, ctx.tenantId), eq(webhookEndpoints.id, id))),
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  ).catch(async (error: unknown) => {
    if (error instanceof AppError && error.code === "conflict") await getEndpoint(ctx, id);
    throw error;
  });
  ctx.audited += 1;
}

/** Fails its batch `stale` unless the endpoint exists at `version`. */
const atVersion = (db: Querier, tenantId: string, id: string, version: number) =>
  requirement(
    db,
    sql`exists (select 1 from ${webhookEndpoints} where ${webhookEndpoints.tenantId} = ${tenantId}
                  and ${webhookEndpoints.id} = ${id} and ${webhookEndpoints.version} = ${version} for update)`,
    "stale",
  );
