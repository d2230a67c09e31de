/**
 * The posting rules: which balanced entries each kind of transaction writes to the ledger. Pure, so the
 * same terms always give the same entries - when a transaction is posted, when a pending one reserves what
 * it will take, and when it settles later.
 *
 * Accounts per portfolio: `cash` per currency and `position` per asset (what the portfolio holds), and the
 * counter-accounts - `equity` (the owner's contributions), `external` (the market: the other side of
 * trades, per currency and per asset), `income` (dividends) and `expense` (fees). Debits are positive.
 */
import type { AccountSpec } from "../../db/repositories/ledger.repository";
import type { TransactionType } from "../../db/tables/portfolios";
import { Dec, ZERO } from "../money/decimal";

export interface TransactionTerms {
  type: TransactionType;
  assetId: string | null;
  quantity: Dec | null;
  /** Cash moved: quantity x price for trades, the amount otherwise. */
  amount: Dec;
  fees: Dec;
  currency: string;
}

export interface Entry {
  account: AccountSpec;
  amount: Dec;
}

/** The terms of a stored transaction, as decimals. */
export function termsOf(row: {
  type: TransactionType;
  assetId: string | null;
  quantity: string | null;
  amount: string;
  fees: string;
  currency: string;
}): TransactionTerms {
  return {
    type: row.type,
    assetId: row.assetId,
    quantity: row.quantity === null ? null : new Dec(row.quantity),
    amount: new Dec(row.amount),
    fees: new Dec(row.fees),
    currency: row.currency,
  };
}

/** The balanced entries of a transaction. Only cash (unless allowed) and positions may not go negative. */
export function entriesFor(terms: TransactionTerms, allowNegativeCash: boolean): Entry[] {
  const { currency, amount, fees } = terms;
  const account = (kind: AccountSpec["kind"], unit: string, assetId: string | null = null): AccountSpec => ({
    kind,
    unit,
    assetId,
    mayGoNegative: kind === "cash" ? allowNegativeCash : kind !== "position",
  });
  const cash = account("cash", currency);
  const entry = (spec: AccountSpec, value: Dec): Entry => ({ account: spec, amount: value });
  const feeEntries = [entry(account("expense", currency), fees), entry(cash, fees.neg())];
  let entries: Entry[];
  switch (terms.type) {
    case "deposit":
      entries = [entry(cash, amount), entry(account("equity", currency), amount.neg())];
      break;
    case "withdrawal":
      entries = [entry(cash, amount.neg()), entry(account("equity", currency), amount)];
      break;
    case "dividend":
      entries = [entry(cash, amount), entry(account("income", currency), amount.neg())];
      break;
    case "fee":
      entries = [entry(account("expense", currency), amount), entry(cash, amount.neg())];
      break;
    case "buy":
    case "sell": {
      const assetId = terms.assetId as string;
      const quantity = terms.quantity as Dec;
      const sign = terms.type === "buy" ? 1 : -1;
      entries = [
        entry(account("position", assetId, assetId), quantity.mul(sign)),
        entry(account("external", assetId, assetId), quantity.mul(-sign)),
        entry(cash, amount.mul(-sign)),
        entry(account("external", currency), amount.mul(sign)),
        ...feeEntries,
      ];
      break;
    }
  }
  return entries.filter((e) => !e.amount.isZero());
}

/** The net change an entry list makes to each account, keyed by "kind:unit". */
export function netByAccount(entries: Entry[]): Map<string, { account: AccountSpec; amount: Dec }> {
  const net = new Map<string, { account: AccountSpec; amount: Dec }>();
  for (const { account, amount } of entries) {
    const key = `${account.kind}:${account.unit}`;
    net.set(key, { account, amount: (net.get(key)?.amount ?? ZERO).add(amount) });
  }
  return net;
}

/** Accounts whose balance the portfolio holds (and pending transactions reserve). */
export const isHolding = (account: { kind: string }) =>
  account.kind === "cash" || account.kind === "position";

/**
 * What a pending transaction holds back: on each cash or position account, what it will take out net (a
 * sell its units; a buy its cash and fees). Judged by kind alone - not by whether the account may go
 * negative, which can change - so settling or cancelling releases exactly what was held.
 */
export function holdsFor(entries: Entry[]): Array<{ account: AccountSpec; amount: Dec }> {
  return [...netByAccount(entries).values()]
    .filter(({ account, amount }) => isHolding(account) && amount.lt(0))
    .map(({ account, amount }) => ({ account, amount: amount.neg() }));
}

/** Increases first: the balance CHECK is judged after each entry, so a sell's proceeds land before its fee. */
export const inPostingOrder = (entries: Entry[]): Entry[] =>
  [...entries].sort((a, b) => Number(b.amount.gt(0)) - Number(a.amount.gt(0)));
