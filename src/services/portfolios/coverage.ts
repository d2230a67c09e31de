import type { PortfolioRow } from "../../db/repositories/portfolios.repository";
import type { TransactionRecord } from "../../db/repositories/transactions.repository";
import type { Dec } from "../money/decimal";
import { type BookRow, shortfallInTime } from "./book";
import { type Accounts, firstShortAccount, shortfall } from "./ledger-writes";
import type { Entry } from "./postings";
import type { PricedTerms } from "./terms";

/** The 422 for an account that has less available than `needed`. */
export function shortfallOf(account: { kind: string }, needed: Dec, pointer: string | null) {
  const what = account.kind === "position" ? "holding" : "cash";
  return shortfall(account, pointer, `Not enough ${what} available: ${needed.toFixed()} needed.`);
}

/** The 422 when the entries take more than some account has available, if they do. */
export function assertCovered(accounts: Accounts, entries: Entry[], pointer: string | null) {
  const short = firstShortAccount(accounts, entries);
  if (short) throw shortfallOf(short.account, short.needed, pointer);
}

/**
 * A backdated transaction also has to fit the past: a sell dated before the buy it sells from would leave
 * today's balances intact but the books negative in between. Only replayed when backdated (`rows`, the
 * books, read only then) - a transaction executed after all others changes no earlier point, and today's
 * balances are checked anyway.
 */
export function assertCoveredInTime(
  rows: BookRow[],
  portfolio: PortfolioRow,
  terms: PricedTerms,
  executedAt: Date,
  pending: boolean,
  pointer: string,
) {
  const candidate = {
    id: "",
    seq: Number.MAX_SAFE_INTEGER,
    type: terms.type,
    status: pending ? ("pending" as const) : ("settled" as const),
    assetId: terms.assetId,
    quantity: terms.quantity?.toFixed() ?? null,
    amount: terms.amount.toFixed(),
    fees: terms.fees.toFixed(),
    currency: terms.currency,
    executedAt,
    reversalOf: null,
    reversedBy: null,
  };
  const breach = shortfallInTime([...rows, candidate], candidate, portfolio.allowNegativeCash);
  if (breach) {
    const kind = breach.unit === terms.currency ? "cash" : "position";
    throw shortfall(
      { kind },
      pointer,
      `Backdated to ${executedAt.toISOString()}, this would leave the ${kind === "cash" ? "cash" : "holding"} negative on ${breach.executedAt.toISOString()}.`,
    );
  }
}

/** Taking a transaction out of the past must not leave a later point negative (a buy that later sells used). */
export function assertCoveredWithout(rows: BookRow[], portfolio: PortfolioRow, record: TransactionRecord) {
  const breach = shortfallInTime(
    rows.filter((row) => row.id !== record.id),
    record,
    portfolio.allowNegativeCash,
  );
  if (!breach) return;
  const kind = breach.unit === record.currency ? "cash" : "position";
  throw shortfall(
    { kind },
    null,
    `Without it, the ${kind === "cash" ? "cash" : "holding"} would be negative on ${breach.executedAt.toISOString()}.`,
  );
}
