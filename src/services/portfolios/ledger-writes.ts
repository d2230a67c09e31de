import { type AccountRow, type AccountSpec, accountKey } from "../../db/repositories/ledger.repository";
import { AppError, type FieldError } from "../../errors";
import { Dec } from "../money/decimal";
import { type Entry, holdsFor } from "./postings";

export type Accounts = Map<string, AccountRow>;

/** The 422 for taking out more than an account has available (cash: funds; a position: the holding). */
export function shortfall(account: { kind: string }, pointer: string | null, detail: string): AppError {
  const code = account.kind === "position" ? "insufficient_holding" : "insufficient_funds";
  const errors: FieldError[] = pointer ? [{ location: "body", pointer, message: detail, code }] : [];
  return new AppError(code, detail, pointer ? { errors } : {});
}

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
