import { read } from "../../db/batch";
import { type AssetRow, assetWithPriceAt } from "../../db/repositories/assets.repository";
import { portfolioAccounts } from "../../db/repositories/ledger.repository";
import type { MovementFacts } from "../../db/repositories/money.repository";
import { type PortfolioRow, portfolioById } from "../../db/repositories/portfolios.repository";
import { bookTransactions, type TransactionRecord } from "../../db/repositories/transactions.repository";
import { AppError } from "../../errors";
import {
  assertOwnerMayMove,
  blockedProblem,
  checkAudit,
  checkMovement,
  checkReads,
  checkRow,
  ctrCount,
  isChecked,
  type MovementCheck,
  moverOf,
  screenedCounterparty,
} from "../money-checks/check";
import type { PolicyInForce } from "../money-checks/policy";
import type { TenantContext } from "../tenancy/context";
import type { IdempotentRequest } from "../tenancy/idempotency";
import { bodyError, visiblePortfolio } from "./access";
import { assertCovered, assertCoveredInTime, shortfallOf } from "./coverage";
import { type Answer, decidedOn, ledgerWrite, type RefusalRenderer } from "./ledger-call";
import { withNewAccounts } from "./ledger-writes";
import { entriesFor, holdsFor, inPostingOrder } from "./postings";
import { priceTerms, type TransactionInput } from "./terms";
import { recordOf, transactionRow } from "./transaction-rows";

export type { TransactionInput } from "./terms";
export { transactionRow } from "./transaction-rows";

// Clocks disagree a little; an execution time further ahead is a mistake, not a trade.
const CLOCK_SKEW_MS = 60_000;

export interface PostedTransaction {
  record: TransactionRecord;
  asset: AssetRow | null;
  /** The money check it passed (given when it was posted). */
  check?: { id: string; decision: "allow" | "review"; score: number } | undefined;
}

/** What the audit trail records of a transaction. */
export const transactionSummary = (row: TransactionRecord) => ({
  portfolioId: row.portfolioId,
  type: row.type,
  status: row.status,
  assetId: row.assetId,
  quantity: row.quantity,
  price: row.price,
  amount: row.amount,
  fees: row.fees,
  currency: row.currency,
  executedAt: row.executedAt,
  reversalOf: row.reversalOf,
});

/** The archived refuse new money movements; they can be reactivated first. */
export function assertActive(portfolio: PortfolioRow): void {
  if (portfolio.status === "archived") {
    throw new AppError("conflict", "The portfolio is archived: it takes no new transactions.");
  }
}

/** The trade's asset, judged: it must exist in the tenant and trade in the portfolio's currency. */
function judgeAsset(input: TransactionInput, asset: AssetRow | undefined, currency: string) {
  if (!input.assetId) return null;
  if (!asset) throw bodyError("not_found", "/asset_id", "No such asset.");
  if (asset.currency !== currency) {
    // One currency per portfolio: without FX rates a trade in another currency has no value in it.
    throw bodyError(
      "validation_failed",
      "/asset_id",
      `${asset.symbol} trades in ${asset.currency}, not ${currency}.`,
    );
  }
  return asset;
}

/** How a transaction's outcome is answered: the route renders both (see ledger-call.ts). */
export interface TransactionAnswers {
  /** The transaction as posted (201) or as changed (200). */
  posted: (transaction: PostedTransaction, status: 200 | 201) => Answer;
  refusal: RefusalRenderer;
}

/** The version of the books `finedge_book_version` computes, from the same rows read in the Worker. */
export function bookVersion(rows: Array<{ status: string; seq: number }>): string {
  const pending = rows.filter((row) => row.status === "pending").length;
  const settled = rows.filter((row) => row.status === "settled").length;
  return `${pending}:${settled}:${Math.max(0, ...rows.map((row) => row.seq))}`;
}

/**
 * Posts a transaction: settled at once (its balanced entries written) or pending (what it will take out
 * held in reserve until it settles or is cancelled). Nothing it takes exceeds what is available - now, and
 * at every point from its execution time on, should it be backdated. One batch reads what the decision
 * needs; one call makes it under the portfolio's lock (ledger-call.ts).
 */
export async function createTransaction(
  ctx: TenantContext,
  portfolioId: string,
  input: TransactionInput,
  options: {
    stalenessSeconds: number;
    idempotency: IdempotentRequest | undefined;
    answers: TransactionAnswers;
    /** Where the sanctions lists are kept (a counterparty is screened against the active one). */
    files: R2Bucket;
  },
): Promise<Answer> {
  const { answers } = options;
  const write = { permission: "portfolios:write" as const, idempotency: options.idempotency };
  const type = input.type;
  const mover = isChecked(type) ? await moverOf(ctx) : null;
  const counterparty = input.counterparty?.trim().toLowerCase() || null;
  return ledgerWrite(ctx, { ...write, refusal: answers.refusal }, async () => {
    const now = ctx.now();
    const executedAt = input.executedAt ?? now;
    if (executedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw bodyError("validation_failed", "/executed_at", "A transaction cannot be executed in the future.");
    }
    const { tenantId } = ctx;
    const assetId = input.assetId;
    const found = await ctx.read((db) => ({
      portfolio: read(portfolioById(db, tenantId, portfolioId), (rows) => rows[0]),
      accounts: read(portfolioAccounts(db, tenantId, portfolioId)),
      // Read only when backdated: some transaction on the books was executed after this one.
      book: read(bookTransactions(db, tenantId, portfolioId, { ifAnyAfter: executedAt })),
      ...(assetId
        ? { asset: read(assetWithPriceAt(db, tenantId, assetId, executedAt), (rows) => rows[0]) }
        : {}),
      // The money check's facts and the tenant's policy ride in the same batch.
      ...(mover && isChecked(type) ? checkReads(db, ctx, { portfolioId, type, mover, counterparty }) : {}),
    }));
    const portfolio = visiblePortfolio(ctx, found.portfolio, "portfolios:write");
    assertActive(portfolio);
    const { facts, policy, sanctionsList } = found as Partial<{
      facts: MovementFacts;
      policy: PolicyInForce;
      sanctionsList: { id: string } | null;
    }>;
    const checked = facts && policy ? { facts, policy } : null;
    if (checked) assertOwnerMayMove(checked.facts, checked.policy);
    const currency = portfolio.baseCurrency;
    if (input.currency !== undefined && input.currency !== currency) {
      throw bodyError("validation_failed", "/currency", `The portfolio holds ${currency} only.`);
    }
    const priced = (found as { asset?: { asset: AssetRow; price: { value: string; at: Date } | null } })
      .asset;
    const asset = judgeAsset(input, priced?.asset, currency);
    // Without a stored price, drizzle gives the left join's columns as null.
    const stored = priced?.price ? { price: priced.price.value, at: priced.price.at } : null;
    const terms = priceTerms(input, { asset, stored, currency, executedAt, ...options });
    const sanctions = checked
      ? await screenedCounterparty(options.files, ctx, counterparty, sanctionsList)
      : [];
    const check: MovementCheck | null =
      checked && mover && isChecked(terms.type)
        ? checkMovement(checked.facts, checked.policy, {
            type: terms.type,
            amount: terms.amount,
            currency,
            mover,
            at: now,
            sanctions,
          })
        : null;
    const decision = check?.result.decision ?? "allow";
    if (check && decision === "block") {
      // Refused before anything moves: the check and its audit event are the whole write.
      return {
        portfolio: decidedOn(portfolio),
        check: checkRow(check, mover as NonNullable<typeof mover>, null, counterparty),
        audit: [checkAudit(check, null)],
        answer: answers.refusal(blockedProblem(check)),
      };
    }
    // A movement held for review is posted pending, with what it takes reserved, until an analyst decides.
    const pending = input.pending || decision === "review";
    const entries = entriesFor(terms, portfolio.allowNegativeCash);
    const accounts = withNewAccounts(found.accounts, entries);
    const pointer = terms.type === "sell" || terms.type === "buy" ? "/quantity" : "/amount";
    assertCovered(accounts, entries, pointer);
    const backdated = found.book.length > 0;
    if (backdated) assertCoveredInTime(found.book, portfolio, terms, executedAt, pending, pointer);

    const record: TransactionRecord = {
      ...recordOf(ctx, portfolio, terms, input, executedAt, pending),
      id: crypto.randomUUID(),
      seq: 0,
      createdAt: now,
      settledAt: pending ? null : now,
      cancelledAt: null,
      reversedBy: null,
    };
    const holds = holdsFor(entries).map(({ account, amount }) => ({
      account,
      amount,
      refusal: answers.refusal(shortfallOf(account, amount, pointer)),
    }));
    const ctr = checked
      ? ctrCount(checked.policy, {
          type: terms.type,
          currency,
          executedAt,
          settled: !pending,
          hasCustomer: portfolio.customerId !== null,
        })
      : undefined;
    return {
      portfolio: decidedOn(
        portfolio,
        backdated ? { book: bookVersion(found.book) } : { newestAt: executedAt },
      ),
      holds,
      accounts: entries.map((entry) => entry.account),
      ...(pending
        ? { reserve: holds.map(({ account, amount }) => ({ account, delta: amount })) }
        : { postings: { transactionId: record.id, entries: inPostingOrder(entries) } }),
      transaction: transactionRow(record),
      ...(check
        ? { check: checkRow(check, mover as NonNullable<typeof mover>, record.id, counterparty) }
        : {}),
      ...(ctr ? { ctr } : {}),
      audit: [
        {
          action: "transaction.created",
          resourceType: "portfolio_transaction",
          resourceId: record.id,
          after: transactionSummary(record),
        },
        ...(check ? [checkAudit(check, record.id)] : []),
      ],
      answer: answers.posted(
        {
          record,
          asset,
          check: check
            ? {
                id: check.id,
                decision: decision === "review" ? "review" : "allow",
                score: check.result.score,
              }
            : undefined,
        },
        201,
      ),
    };
  });
}
