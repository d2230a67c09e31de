import type { AccountSpec } from "../../db/repositories/ledger.repository";
import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import type { Dec } from "../money/decimal";
import type { TenantContext } from "../tenancy/context";
import type { IdempotentRequest } from "../tenancy/idempotency";
import type { Permission } from "../tenancy/permissions";
import {
  type Answer,
  answerOf,
  type DecidedWrite,
  decidedWrite,
  type RefusalRenderer,
} from "./decided-write";

export type { Answer, RefusalRenderer } from "./decided-write";

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

const account = (spec: AccountSpec) => ({ kind: spec.kind, unit: spec.unit });
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
