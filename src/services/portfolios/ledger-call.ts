/**
 * A money-moving write in two round trips at most: one batch reads what the decision needs (with the caller's
 * standing), the Worker decides - the terms, the entries, whether the books allow it, the response the client
 * will get - and one call to `finedge_ledger_write` (migrations/0012) carries the decision out under the
 * portfolio's lock, in one transaction: the Idempotency-Key claimed or replayed, the caller's permission and
 * what the decision rested on re-checked, every account's availability checked, the entries posted, the audit
 * event written and the response recorded under the key - a refusal such as insufficient funds included. Ids
 * and times are chosen here before the call, so the recorded response is exactly the one the client gets.
 *
 * If what the decision rested on changed between the two calls (another write backdated into the same
 * books, the transaction concluded meanwhile, the caller's role changed), nothing is written and the write
 * is decided again from a fresh read.
 */
import { sql } from "drizzle-orm";
import { jsonResult } from "../../db/batch";
import type { AccountSpec } from "../../db/repositories/ledger.repository";
import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import { requirementOf } from "../../db/requirements";
import { databaseJson } from "../../db/well-formed";
import { AppError } from "../../errors";
import type { Dec } from "../money/decimal";
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

/** What must be available on an account for the write to go through, and the answer when it is not. */
export interface Hold {
  account: AccountSpec;
  amount: Dec;
  refusal: Answer;
}

/** The write the Worker decided on. */
export interface LedgerWrite extends DecidedWrite {
  /** What the decision rested on: the portfolio as read, and the books' version or the newest time seen. */
  portfolio: {
    id: string;
    organizationId: string;
    status: string;
    allowNegativeCash: boolean;
    /** The owner the decision rested on (the money check and the owner's KYC standing judged it). */
    customerId?: string | null;
    /** The books were replayed: their version (`finedge_book_version`) must be unchanged. */
    book?: string;
    /** Nothing on the books may be executed after this (the write was judged against today's balances). */
    newestAt?: Date;
  };
  holds?: Hold[];
  accounts?: AccountSpec[];
  /** Reserve moves: positive holds back, negative releases. */
  reserve?: Array<{ account: AccountSpec; delta: Dec }>;
  statusChange?: { id: string; status: "settled" | "cancelled"; at: Date };
  /** A new portfolio_transactions row, snake_case, as the database stores it. */
  transaction?: Record<string, unknown>;
  postings?: { transactionId: string; entries: Array<{ account: AccountSpec; amount: Dec }> };
  /** The money check's row (money_checks, snake_case), written with the movement - or alone when it blocks it. */
  check?: Record<string, unknown>;
  /** An analyst's decision on a held movement (it must still be held). */
  review?: { checkId: string; status: "approved" | "rejected"; by: string; at: Date; note: string | null };
  /** A settled cash movement to count into its business day's CTR (see money-checks/check.ts). */
  ctr?: Record<string, unknown>;
}

/** The portfolio as the decision read it; `guard` adds what of its books the decision rested on. */
export const decidedOn = (
  portfolio: PortfolioRow,
  guard: { book: string } | { newestAt: Date } | Record<string, never> = {},
): LedgerWrite["portfolio"] => ({
  id: portfolio.id,
  organizationId: portfolio.organizationId,
  status: portfolio.status,
  allowNegativeCash: portfolio.allowNegativeCash,
  customerId: portfolio.customerId,
  ...guard,
});

/** How the decision turns a refusal into the answer the client gets (problem+json, from the route). */
export type RefusalRenderer = (error: AppError) => Answer;

type Outcome =
  | { outcome: "done" | "refused" | "replayed"; status: number; body: string; content_type: string | null }
  | { outcome: "in_flight" | "reused" | "stale" };

// A decision rests on a read; a write that keeps finding it changed is contended beyond reason.
const ATTEMPTS = 4;

const account = (spec: AccountSpec) => ({ kind: spec.kind, unit: spec.unit });
const answerOf = (answer: Answer) => ({
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

function ledgerPayload(ctx: TenantContext, write: LedgerWrite) {
  const { portfolio } = write;
  return {
    portfolio: {
      id: portfolio.id,
      organization_id: portfolio.organizationId,
      status: portfolio.status,
      allow_negative_cash: portfolio.allowNegativeCash,
      ...(portfolio.customerId !== undefined ? { customer_id: portfolio.customerId } : {}),
      ...(portfolio.book !== undefined ? { book: portfolio.book } : {}),
      ...(portfolio.newestAt ? { newest_at: portfolio.newestAt.toISOString() } : {}),
    },
    holds: (write.holds ?? []).map((hold) => ({
      ...account(hold.account),
      may_go_negative: hold.account.mayGoNegative,
      amount: hold.amount.toFixed(),
      refusal: answerOf(hold.refusal),
    })),
    accounts: (write.accounts ?? []).map((spec) => ({
      ...account(spec),
      asset_id: spec.assetId,
      may_go_negative: spec.mayGoNegative,
    })),
    reserve: (write.reserve ?? []).map((move) => ({ ...account(move.account), delta: move.delta.toFixed() })),
    ...(write.statusChange
      ? {
          status_change: {
            id: write.statusChange.id,
            status: write.statusChange.status,
            at: write.statusChange.at.toISOString(),
          },
        }
      : {}),
    ...(write.transaction ? { transaction: write.transaction } : {}),
    ...(write.check ? { check: write.check } : {}),
    ...(write.review
      ? {
          review: {
            check_id: write.review.checkId,
            status: write.review.status,
            by: write.review.by,
            at: write.review.at.toISOString(),
            note: write.review.note,
          },
        }
      : {}),
    ...(write.ctr ? { ctr: write.ctr } : {}),
    ...(write.postings
      ? {
          posting_transaction_id: write.postings.transactionId,
          postings: write.postings.entries.map((entry) => ({
            ...account(entry.account),
            amount: entry.amount.toFixed(),
          })),
        }
      : {}),
    at: ctx.now().toISOString(),
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

/** A ledger write (finedge_ledger_write): a money movement, decided on one read and made in one call. */
export const ledgerWrite = (
  ctx: TenantContext,
  options: { permission: Permission; idempotency: IdempotentRequest | undefined; refusal: RefusalRenderer },
  decide: () => Promise<LedgerWrite>,
) =>
  decidedWrite(
    ctx,
    {
      ...options,
      fn: "finedge_ledger_write",
      payload: (write) => ledgerPayload(ctx, write),
      stale: "The portfolio kept changing while this request was decided; retry it.",
    },
    decide,
  );
