/**
 * What happens to a transaction after it is posted: a pending one settles (its entries are written and
 * its reserve released) or is cancelled (reserve released, nothing written); a settled one is corrected
 * only by a reversal - a new transaction whose entries mirror the original's. Nothing is edited or deleted.
 * Each is decided on one batch read and made in one call under the portfolio's lock (ledger-call.ts).
 */
import { read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { assetsAmong } from "../../db/repositories/assets.repository";
import { portfolioAccounts, transactionPostings } from "../../db/repositories/ledger.repository";
import { checkOfTransaction, policyRow } from "../../db/repositories/money.repository";
import { portfolioById } from "../../db/repositories/portfolios.repository";
import {
  bookTransactions,
  type TransactionRecord,
  transactionAssets,
  transactionById,
} from "../../db/repositories/transactions.repository";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { Dec } from "../money/decimal";
import { ctrCount } from "../money-checks/check";
import { policyInForce } from "../money-checks/policy";
import type { TenantContext } from "../tenancy/context";
import type { IdempotentRequest } from "../tenancy/idempotency";
import { visiblePortfolio } from "./access";
import { assertCovered, assertCoveredWithout, shortfallOf } from "./coverage";
import { type Answer, decidedOn, ledgerWrite } from "./ledger-call";
import { withNewAccounts } from "./ledger-writes";
import { type Entry, entriesFor, holdsFor, inPostingOrder, termsOf } from "./postings";
import {
  assertActive,
  bookVersion,
  type TransactionAnswers,
  transactionRow,
  transactionSummary,
} from "./transactions";

const conflict = (detail: string) => new AppError("conflict", detail);

interface Options {
  idempotency: IdempotentRequest | undefined;
  answers: TransactionAnswers;
}

const writeOptions = (options: Options) => ({
  permission: "portfolios:write" as const,
  idempotency: options.idempotency,
  refusal: options.answers.refusal,
});

/** The portfolio, the transaction and its asset: what every change to a transaction reads. */
const transactionReads = (db: HttpDatabase, tenantId: string, portfolioId: string, id: string) => ({
  portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
  record: read(transactionById(db, tenantId, portfolioId, id), (rows) => rows[0]),
  assets: read(assetsAmong(db, tenantId, transactionAssets(db, tenantId, portfolioId, id))),
});

/** An analyst's decision on a movement the money check held for review. */
export interface ReviewDecision {
  note: string | null;
}

/**
 * Settles or cancels a pending transaction. One the money check held for review is concluded only by an
 * analyst's decision (`review`: approved settles it, rejected cancels it), never by its poster, and a settled
 * cash movement of a customer's portfolio is counted into its business day's CTR in the same write.
 */
export async function concludePending(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
  outcome: "settled" | "cancelled",
  options: Options,
  review?: ReviewDecision,
): Promise<Answer> {
  const permission = review ? ("fraud:review" as const) : ("portfolios:write" as const);
  return ledgerWrite(ctx, { ...writeOptions(options), permission }, async () => {
    const found = await ctx.read((db) => ({
      ...transactionReads(db, ctx.tenantId, portfolioId, id),
      check: read(checkOfTransaction(db, ctx.tenantId, id), (rows) => rows[0]),
      policy: read(policyRow(db, ctx.tenantId), (rows) => policyInForce(rows[0])),
    }));
    const portfolio = visiblePortfolio(ctx, found.portfolio, permission);
    const record = found.record;
    if (!record) throw new AppError("not_found", "No such transaction.");
    const held = found.check?.reviewStatus === "held" ? found.check : undefined;
    if (review) {
      if (!held) throw conflict("The transaction is not held for review.");
      if (held.actorType === ctx.actor.type && held.actorId === ctx.actor.id) {
        throw new AppError(
          "forbidden",
          "A movement held for review is decided by someone other than its poster.",
        );
      }
    } else if (held) {
      throw conflict(
        "The transaction is held for review: an analyst approves it (it settles) or rejects it (it is cancelled).",
      );
    }
    if (record.status !== "pending") throw conflict(`The transaction is ${record.status}, not pending.`);
    const entries = entriesFor(termsOf(record), portfolio.allowNegativeCash);
    const at = ctx.now();
    const after: TransactionRecord = {
      ...record,
      status: outcome,
      ...(outcome === "settled" ? { settledAt: at } : { cancelledAt: at }),
    };
    const ctr = ctrCount(found.policy, {
      type: record.type,
      currency: record.currency,
      executedAt: record.executedAt,
      settled: outcome === "settled",
      hasCustomer: portfolio.customerId !== null,
    });
    const decided = review && held ? (outcome === "settled" ? "approved" : "rejected") : undefined;
    return {
      portfolio: decidedOn(portfolio),
      accounts: entries.map((entry) => entry.account),
      // Released before posting: the entries then take what the reserve kept for them.
      reserve: holdsFor(entries).map(({ account, amount }) => ({ account, delta: amount.neg() })),
      statusChange: { id: record.id, status: outcome, at },
      ...(outcome === "settled"
        ? { postings: { transactionId: record.id, entries: inPostingOrder(entries) } }
        : {}),
      ...(ctr ? { ctr } : {}),
      ...(decided && held
        ? { review: { checkId: held.id, status: decided, by: ctx.actor.id, at, note: review?.note ?? null } }
        : {}),
      audit: [
        {
          action: outcome === "settled" ? "transaction.settled" : "transaction.cancelled",
          resourceType: "portfolio_transaction",
          resourceId: record.id,
          before: { status: record.status },
          after: { status: outcome },
        },
        ...(decided && held
          ? [
              {
                action: `money_check.${decided}`,
                resourceType: "money_check",
                resourceId: held.id,
                before: { reviewStatus: "held" },
                after: { reviewStatus: decided, transactionId: record.id, note: review?.note ?? null },
              },
            ]
          : []),
      ],
      answer: options.answers.posted({ record: after, asset: found.assets[0] ?? null }, 200),
    };
  });
}

/** Posts the mirror image of a settled transaction, linked to it; the original stays as it was. */
export async function reverseTransaction(
  ctx: TenantContext,
  portfolioId: string,
  id: string,
  options: Options,
): Promise<Answer> {
  const { tenantId } = ctx;
  // The books' version is checked under the lock, so a second reversal is seen there; the unique index on
  // reversal_of stays the last wall.
  return unlessDuplicate(
    ["portfolio_transactions_reversal_of_key"],
    () => conflict("The transaction was already reversed."),
    () =>
      ledgerWrite(ctx, writeOptions(options), async () => {
        const found = await ctx.read((db) => ({
          ...transactionReads(db, tenantId, portfolioId, id),
          postings: read(transactionPostings(db, tenantId, id)),
          accounts: read(portfolioAccounts(db, tenantId, portfolioId)),
          book: read(bookTransactions(db, tenantId, portfolioId)),
        }));
        const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:write");
        assertActive(portfolio);
        const record = found.record;
        if (!record) throw new AppError("not_found", "No such transaction.");
        if (record.status !== "settled")
          throw conflict(`A ${record.status} transaction is not reversed; cancel it.`);
        if (record.reversalOf) throw conflict("A reversal is not reversed; post a new transaction instead.");
        if (record.reversedBy)
          throw conflict(`The transaction was already reversed by ${record.reversedBy}.`);

        const entries: Entry[] = found.postings.map(({ posting, account }) => ({
          account: {
            kind: account.kind,
            unit: account.unit,
            assetId: account.assetId,
            mayGoNegative: account.mayGoNegative,
          },
          amount: new Dec(posting.amount).neg(),
        }));
        assertCovered(withNewAccounts(found.accounts, entries), entries, null);
        assertCoveredWithout(found.book, portfolio, record);

        const now = ctx.now();
        const reversal: TransactionRecord = {
          ...record,
          id: crypto.randomUUID(),
          seq: 0,
          status: "settled",
          executedAt: now,
          note: `Reversal of ${record.id}`,
          reversalOf: record.id,
          reversedBy: null,
          createdByType: ctx.actor.type,
          createdBy: ctx.actor.id,
          createdAt: now,
          settledAt: now,
          cancelledAt: null,
        };
        return {
          portfolio: decidedOn(portfolio, { book: bookVersion(found.book) }),
          holds: holdsFor(entries).map(({ account, amount }) => ({
            account,
            amount,
            refusal: options.answers.refusal(shortfallOf(account, amount, null)),
          })),
          accounts: entries.map((entry) => entry.account),
          transaction: transactionRow(reversal),
          postings: { transactionId: reversal.id, entries: inPostingOrder(entries) },
          audit: [
            {
              action: "transaction.reversed",
              resourceType: "portfolio_transaction",
              resourceId: record.id,
              after: { reversedBy: reversal.id, ...transactionSummary(reversal) },
            },
          ],
          answer: options.answers.posted({ record: reversal, asset: found.assets[0] ?? null }, 201),
        };
      }),
  );
}
