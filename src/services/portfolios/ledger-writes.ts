import type { Transaction } from "../../db/client";
import {
  type AccountRow,
  type AccountSpec,
  accountKey,
  adjustReserved,
  ensureAccounts,
  insertPostings,
} from "../../db/repositories/ledger.repository";
import { AppError, type FieldError } from "../../errors";
import { Dec } from "../money/decimal";
import { type Entry, holdsFor, inPostingOrder } from "./postings";

export type Accounts = Map<string, AccountRow>;

/** The 422 for taking out more than an account has available (cash: funds; a position: the holding). */
export function shortfall(account: { kind: string }, pointer: string | null, detail: string): AppError {
  const code = account.kind === "position" ? "insufficient_holding" : "insufficient_funds";
  const errors: FieldError[] = pointer ? [{ location: "body", pointer, message: detail, code }] : [];
  return new AppError(code, detail, pointer ? { errors } : {});
}

/** Opens the accounts the entries name. */
export const accountsFor = (tx: Transaction, tenantId: string, portfolioId: string, entries: Entry[]) =>
  ensureAccounts(
    tx,
    tenantId,
    portfolioId,
    entries.map((e) => e.account),
  );

/**
 * The portfolio's accounts as read, with the ones the entries name but that are not open yet as they will be
 * opened: empty. For judging a write before it is made (the write opens them).
 */
export function withNewAccounts(rows: AccountRow[], entries: Entry[]): Accounts {
  const accounts: Accounts = new Map(rows.map((row) => [accountKey(row), row]));
  for (const { account } of entries) {
    if (accounts.has(accountKey(account))) continue;
    accounts.set(accountKey(account), {
      id: "",
      tenantId: "",
      portfolioId: "",
      kind: account.kind,
      unit: account.unit,
      assetId: account.assetId,
      balance: "0",
      reserved: "0",
      mayGoNegative: account.mayGoNegative,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
  }
  return accounts;
}

const accountOf = (accounts: Accounts, spec: AccountSpec): AccountRow => {
  const row = accounts.get(accountKey(spec));
  if (!row) throw new Error(`ledger account ${accountKey(spec)} was not opened`);
  return row;
};

/** Available = balance - reserved; what an account that may not go negative can still give. */
export const available = (row: AccountRow): Dec => new Dec(row.balance).sub(row.reserved);

/**
 * The first account that cannot give what the entries take from it, net. Checked under the portfolio's
 * lock, so it holds at commit; the accounts' CHECK constraint would refuse the write anyway.
 */
export function firstShortAccount(accounts: Accounts, entries: Entry[]) {
  for (const { account, amount } of holdsFor(entries)) {
    const row = accountOf(accounts, account);
    if (!row.mayGoNegative && available(row).lt(amount)) return { account: row, needed: amount };
  }
  return undefined;
}

/** Writes the entries of a transaction: increases first, so no intermediate balance dips below zero. */
export async function post(
  tx: Transaction,
  ids: { tenantId: string; portfolioId: string; transactionId: string },
  accounts: Accounts,
  entries: Entry[],
): Promise<void> {
  await insertPostings(
    tx,
    inPostingOrder(entries).map((entry) => ({
      ...ids,
      accountId: accountOf(accounts, entry.account).id,
      unit: entry.account.unit,
      amount: entry.amount.toFixed(),
    })),
  );
}

/** Reserves (direction 1) or releases (-1) what a pending transaction holds back. */
export async function moveHolds(
  tx: Transaction,
  tenantId: string,
  accounts: Accounts,
  entries: Entry[],
  direction: 1 | -1,
): Promise<void> {
  for (const { account, amount } of holdsFor(entries)) {
    await adjustReserved(tx, tenantId, accountOf(accounts, account).id, amount.mul(direction).toFixed());
  }
}

const isOverdraft = (error: unknown): boolean => {
  const e = error as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const pg = e?.code ? e : e?.cause;
  return pg?.code === "23514" && pg.constraint === "ledger_accounts_available_non_negative";
};

/**
 * Runs a ledger write, translating the database's own refusal to overdraw (the accounts' CHECK) into the
 * same 422 the services give - the last wall, should a check ever be missed.
 */
export async function guardingOverdrafts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isOverdraft(error)) {
      throw new AppError("insufficient_funds", "The transaction would overdraw an account.", {
        cause: error,
      });
    }
    throw error;
  }
}
