/**
 * A decided write: the Worker reads (one batch) and decides - the terms, the entries, the response the client
 * will get - and one call to a write function of the database (`finedge_ledger_write`, `finedge_ingest_prices`)
 * carries the decision out in one transaction: the Idempotency-Key claimed or replayed, the caller's permission
 * and what the decision rested on re-checked, the audit events written and the response recorded under the key.
 * A decision that went stale meanwhile is made again from a fresh read (ledger-call.ts is its ledger form).
 */
import { sql } from "drizzle-orm";
import { jsonResult } from "../../db/batch";
import { requirementOf } from "../../db/requirements";
import { databaseJson } from "../../db/well-formed";
import { AppError } from "../../errors";
import { type AuditEntry, auditEventJson, eventOf } from "../tenancy/audit";
import { callerCheck } from "../tenancy/caller-check";
import type { TenantContext } from "../tenancy/context";
import { type IdempotentRequest, isStoredRefusal } from "../tenancy/idempotency";
import type { Permission } from "../tenancy/permissions";

/** A response as the client gets it, decided before the write. */
export interface Answer {
  status: number;
  body: string;
  contentType: string;
  /** Given again from the record of an earlier request under the same Idempotency-Key. */
  replayed?: boolean;
}

/** How the decision turns a refusal into the answer the client gets (problem+json, from the route). */
export type RefusalRenderer = (error: AppError) => Answer;

type Outcome =
  | { outcome: "done" | "refused" | "replayed"; status: number; body: string; content_type: string | null }
  | { outcome: "in_flight" | "reused" | "stale" };

// A decision rests on a read; a write that keeps finding it changed is contended beyond reason.
const ATTEMPTS = 4;

export const answerOf = (answer: Answer) => ({
  status: answer.status,
  body: answer.body,
  content_type: answer.contentType,
});

function idempotencyOf(ctx: TenantContext, request: IdempotentRequest | undefined) {
  if (!request) return undefined;
  const now = ctx.now();
  return {
    key: request.key,
    route: request.route,
    hash: request.requestHash,
    now: now.toISOString(),
    expires_at: new Date(now.getTime() + request.ttlSeconds * 1000).toISOString(),
    replay_audit: auditEventJson(
      eventOf(ctx, {
        action: "idempotency.replayed",
        resourceType: "idempotency_key",
        resourceId: request.key,
        after: { route: request.route, status: 0 },
      }),
    ),
  };
}

const isOverdraft = (error: unknown): boolean => {
  const e = error as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const pg = e?.code ? e : e?.cause;
  return pg?.code === "23514" && pg.constraint === "ledger_accounts_available_non_negative";
};

/** The database functions that make a decided write (migrations/0012, 0015). */
type WriteFunction = "finedge_ledger_write" | "finedge_ingest_prices";

/**
 * One call: the write (or a refusal to record) in one transaction, in one round trip. The database's own
 * refusal to overdraw (the accounts' CHECK) becomes the same 422 the checks give - the last wall, should a
 * check ever be missed; a write that found what it rested on changed midway (`finedge_require:stale`) is
 * stale, like one that found it before writing.
 */
async function call(
  ctx: TenantContext,
  fn: WriteFunction,
  payload: Record<string, unknown>,
): Promise<Outcome> {
  const text = databaseJson(payload);
  const statement = sql`select ${sql.raw(fn)}(${text}::jsonb) as result`;
  let row: unknown;
  try {
    row = await ctx.readOne((db) => db.execute(statement));
  } catch (error) {
    if (requirementOf(error) === "stale") return { outcome: "stale" };
    if (!isOverdraft(error)) throw error;
    throw new AppError("insufficient_funds", "The transaction would overdraw an account.", { cause: error });
  }
  return jsonResult<Outcome>()(row);
}

/** What every decided write carries: its audit events and the answer it gives. */
export interface DecidedWrite {
  audit: AuditEntry[];
  answer: Answer;
}

/** How a decided write is made: which function, its payload, and what the client is told when it stays stale. */
export interface WriteOptions<W extends DecidedWrite> {
  permission: Permission;
  idempotency: IdempotentRequest | undefined;
  refusal: RefusalRenderer;
  fn: WriteFunction;
  payload: (write: W) => Record<string, unknown>;
  stale: string;
}

/**
 * Decides and makes a write: `decide` reads (one batch) and returns the write, or throws the refusal. A
 * refusal that is an outcome is recorded under the Idempotency-Key, if one was given, so a retry gets it
 * again - unless the key already holds an answer, which is then given instead.
 */
export async function decidedWrite<W extends DecidedWrite>(
  ctx: TenantContext,
  options: WriteOptions<W>,
  decide: () => Promise<W>,
): Promise<Answer> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let payload: Record<string, unknown>;
    let audited = 0;
    try {
      const write = await decide();
      payload = {
        tenant_id: ctx.tenantId,
        caller: callerCheck(ctx.actor, options.permission),
        ...options.payload(write),
        audit: write.audit.map((entry) => auditEventJson(eventOf(ctx, entry))),
        response: answerOf(write.answer),
      };
      audited = write.audit.length;
    } catch (error) {
      if (!(options.idempotency && error instanceof AppError && isStoredRefusal(error))) throw error;
      // Refused before the caller's standing was read and accepted - the standing itself refused, or the input
      // did before anything was read: about the credential or the input, not an outcome to record.
      if (!ctx.standingChecked) throw error;
      payload = { tenant_id: ctx.tenantId, refusal: answerOf(options.refusal(error)) };
    }
    // The standing is known once the decision has read: the replay's audit event names the actor.
    const idempotency = idempotencyOf(ctx, options.idempotency);
    const outcome = await call(ctx, options.fn, { ...payload, idempotency: idempotency ?? null });
    switch (outcome.outcome) {
      case "done":
      case "refused":
      case "replayed": {
        if (outcome.outcome === "done") ctx.audited += audited;
        if (outcome.outcome === "replayed") ctx.audited += 1;
        return {
          status: outcome.status,
          body: outcome.body,
          contentType: outcome.content_type ?? "application/json",
          ...(outcome.outcome === "replayed" ? { replayed: true } : {}),
        };
      }
      case "in_flight":
        throw new AppError("idempotency_conflict", "A request with this Idempotency-Key is in flight.", {
          headers: { "Retry-After": "1" },
        });
      case "reused":
        throw new AppError(
          "idempotency_key_reused",
          "This Idempotency-Key was used for a different request; use a new key for a new request.",
        );
      case "stale":
        continue;
    }
  }
  throw new AppError("conflict", options.stale, { headers: { "Retry-After": "1" } });
}
