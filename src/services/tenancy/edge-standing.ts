/**
 * The copies of callers' standing that the edge keeps so a prediction is answered without the database: a
 * user's role, status and memberships in its SessionAuthority, a tenant's status, quotas and models in its
 * TenantAuthority. A request that finds no copy reads the standing in its first batch and gives it back;
 * a request that changes it tells the objects before it answers; what it could not tell - and changes made
 * outside the API - the triggers of migrations/0011 put in the outbox, which this module delivers.
 */
import { eq, inArray } from "drizzle-orm";
import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import type { StandingRow } from "../../db/repositories/access.repository";
import { authorityOutbox } from "../../db/schema";
import type { Consultation } from "../../durable-objects/tenant-authority";
import { describeError, log } from "../../logger";
import type { RequestContext, ServiceContext, UserCaller } from "../context";
import { prefetchPlatformModel } from "../risk/catalogue";
import { utcDay } from "../risk/quota";

/** How long a copy may be used without being told of a change: an access token's life. */
export const EDGE_COPY_SECONDS = 900;

/** Until when a copy read now may be used (epoch seconds). */
export const copyUntil = (now: Date) => Math.floor(now.getTime() / 1000) + EDGE_COPY_SECONDS;

/**
 * Asks the tenant's authority what it holds for a request answered at the edge, and takes its inference rows
 * when it can judge them - with the platform model's R2 pointers read alongside, when the isolate's copy is
 * due. Never fails the request: an unreachable object means the database is asked instead.
 */
export async function consultTenant(
  context: RequestContext,
  tenantId: string,
  request: { model?: string | undefined; key?: string | undefined; rows?: number | undefined },
): Promise<Consultation | undefined> {
  const day = utcDay(context.now());
  if (request.model) prefetchPlatformModel(context.models, request.model);
  const take = request.rows
    ? { day, rows: request.rows, defaultLimit: context.config.TENANT_INFERENCE_ROWS_PER_DAY }
    : undefined;
  try {
    return await context.tenantAuthority(tenantId).consult({
      day,
      ...(request.model ? { model: request.model } : {}),
      ...(request.key ? { key: request.key } : {}),
      ...(take ? { take } : {}),
    });
  } catch (error) {
    log(context.config.LOG_LEVEL, "warn", {
      msg: "tenant authority unreachable; the database decides",
      requestId: context.requestId,
      error: describeError(error),
    });
    return undefined;
  }
}

/**
 * Gives back, after the response, the rows of the day's quota this request took (at the edge or after a
 * read) when it failed: a refused or failed request costs nothing.
 */
export function giveBackTaken(context: RequestContext): void {
  const taken = context.consultation;
  const tenantId = context.caller?.tenantId ?? context.pendingKey?.tenantId;
  if (!taken?.granted || !taken.day || !tenantId) return;
  const { granted, day } = taken;
  taken.granted = 0;
  context.database.afterResponse(async () => {
    try {
      await context.tenantAuthority(tenantId).release(day, granted);
    } catch (error) {
      log(context.config.LOG_LEVEL, "warn", {
        msg: "inference rows not given back",
        requestId: context.requestId,
        error: describeError(error),
      });
    }
  });
}

/** Gives a standing read from the database to the user's session authority, after the response. */
export function learnStanding(
  context: RequestContext,
  caller: UserCaller,
  generation: number,
  row: StandingRow,
): void {
  const facts = { role: row.role, status: row.status, memberships: row.memberships };
  const until = copyUntil(context.now());
  context.database.afterResponse(async () => {
    try {
      await context.sessionAuthority(caller.userId).learnStanding(generation, facts, until);
    } catch (error) {
      log(context.config.LOG_LEVEL, "warn", {
        msg: "standing not kept at the edge",
        requestId: context.requestId,
        error: describeError(error),
      });
    }
  });
}

/** Whose copies a change makes stale. */
export interface StandingChanges {
  users?: readonly string[];
  tenants?: readonly string[];
  /** A change whose targets only the outbox knows (a cascade): deliver this tenant's rows now. */
  tenantOutbox?: string;
  /** The same, with the rows already read in the change's own batch (`outboxStatement`): tell them now. */
  outboxRows?: readonly OutboxRow[];
}

/** A row of `authority_outbox`: which object (`kind`, `target`) a committed change makes stale. */
export interface OutboxRow {
  id: number;
  kind: string;
  target: string;
}

/** A tenant's outbox rows, as a statement of the batch that made the change (it sees its own rows). */
export const outboxStatement = (db: Querier, tenantId: string) =>
  db
    .select({ id: authorityOutbox.id, kind: authorityOutbox.kind, target: authorityOutbox.target })
    .from(authorityOutbox)
    .where(eq(authorityOutbox.tenantId, tenantId))
    .orderBy(authorityOutbox.id)
    .limit(500);

type Authorities = Pick<ServiceContext, "sessionAuthority" | "tenantAuthority">;

/** Drops the copies `changes` names, side by side; throws if any object could not be told. */
async function forget(deps: Authorities, changes: StandingChanges): Promise<void> {
  await Promise.all([
    ...[...new Set(changes.users ?? [])].map((id) => deps.sessionAuthority(id).forgetStanding()),
    ...[...new Set(changes.tenants ?? [])].map((id) => deps.tenantAuthority(id).forget()),
  ]);
}

/**
 * Tells the objects of a change this request committed, before it answers, so the very next request sees
 * it; then clears the change's outbox rows after the response. A failure to tell is left to the outbox.
 */
export async function tellAuthorities(context: RequestContext, changes: StandingChanges): Promise<void> {
  if (changes.outboxRows) {
    await deliverRows(context, changes.outboxRows, { deleteAfterResponse: true }).catch((error: unknown) =>
      log(context.config.LOG_LEVEL, "warn", {
        msg: "standing change not told at the edge; the outbox will",
        requestId: context.requestId,
        error: describeError(error),
      }),
    );
    return;
  }
  if (changes.tenantOutbox) {
    await deliverOutbox(context, { tenantId: changes.tenantOutbox }).catch((error: unknown) =>
      log(context.config.LOG_LEVEL, "warn", {
        msg: "standing change not told at the edge; the outbox will",
        requestId: context.requestId,
        error: describeError(error),
      }),
    );
    return;
  }
  try {
    await forget(context, changes);
  } catch (error) {
    log(context.config.LOG_LEVEL, "warn", {
      msg: "standing change not told at the edge; the outbox will",
      requestId: context.requestId,
      error: describeError(error),
    });
    return;
  }
  context.database.afterResponse(async () => {
    await deliverOutbox(context, { targets: [...(changes.users ?? []), ...(changes.tenants ?? [])] }).catch(
      (error: unknown) =>
        log(context.config.LOG_LEVEL, "warn", {
          msg: "authority outbox not cleared",
          requestId: context.requestId,
          error: describeError(error),
        }),
    );
  });
}

/**
 * Delivers outbox rows (those of `targets`, or the oldest `limit`): each named object is told, and only then
 * are the rows deleted, so a row is never lost - at worst told twice, which is harmless.
 */
export async function deliverOutbox(
  deps: Authorities & Pick<ServiceContext, "database">,
  options: { targets?: readonly string[]; tenantId?: string; limit?: number } = {},
): Promise<number> {
  const { rows } = await deps.database.read("platform", (db) => ({
    rows: read(
      db
        .select({ id: authorityOutbox.id, kind: authorityOutbox.kind, target: authorityOutbox.target })
        .from(authorityOutbox)
        .where(
          options.targets
            ? inArray(authorityOutbox.target, [...options.targets])
            : options.tenantId
              ? eq(authorityOutbox.tenantId, options.tenantId)
              : undefined,
        )
        .orderBy(authorityOutbox.id)
        .limit(options.limit ?? 500),
    ),
  }));
  await deliverRows(deps, rows);
  return rows.length;
}

/**
 * Tells each object the rows name, and only then deletes the rows - after the response, when asked - so a
 * row is never lost: at worst told twice, which is harmless.
 */
async function deliverRows(
  deps: Authorities & Pick<ServiceContext, "database">,
  rows: readonly OutboxRow[],
  options: { deleteAfterResponse?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  await forget(deps, {
    users: rows.filter((r) => r.kind === "user").map((r) => r.target),
    tenants: rows.filter((r) => r.kind === "tenant").map((r) => r.target),
  });
  const remove = async () => {
    await deps.database.read("platform", (db) => ({
      deleted: read(
        db.delete(authorityOutbox).where(
          inArray(
            authorityOutbox.id,
            rows.map((r) => r.id),
          ),
        ),
      ),
    }));
  };
  if (options.deleteAfterResponse) deps.database.afterResponse(remove);
  else await remove();
}
