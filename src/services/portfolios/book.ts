/**
 * The portfolio's books, replayed from its transactions in execution order: cash, positions at weighted
 * average cost, realized P&L. Pure; holdings, performance and the backdating check all read it.
 *
 * Weighted average cost: a buy adds its quantity and its cost (quantity x price plus fees) to the
 * position; a sell removes quantity x the average cost at that moment, and realizes its proceeds (quantity
 * x price less fees) minus that cost. A transaction and its reversal both leave the books: a reversal
 * says the original should never have happened, so the books are as if it had not.
 */
import type { TransactionRecord } from "../../db/repositories/transactions.repository";
import { Dec, ZERO } from "../money/decimal";
import { entriesFor, isHolding, netByAccount, termsOf } from "./postings";

export type BookRow = Pick<
  TransactionRecord,
  | "id"
  | "seq"
  | "type"
  | "status"
  | "assetId"
  | "quantity"
  | "amount"
  | "fees"
  | "currency"
  | "executedAt"
  | "reversalOf"
  | "reversedBy"
>;

/** Settled, neither reversed nor a reversal: what the books contain. */
export const isEffective = (row: BookRow): boolean =>
  row.status === "settled" && row.reversalOf === null && row.reversedBy === null;

export const byExecution = (a: { executedAt: Date; seq: number }, b: { executedAt: Date; seq: number }) =>
  a.executedAt.getTime() - b.executedAt.getTime() || a.seq - b.seq;

export interface Position {
  quantity: Dec;
  cost: Dec;
}

/** What one transaction did to the books. */
export interface Effect {
  realized: Dec;
  dividend: Dec;
  fees: Dec;
  /** Money the owner put in (positive) or took out (negative): the only external flows. */
  flow: Dec;
}

export class Book {
  cash = ZERO;
  readonly positions = new Map<string, Position>();

  apply(row: BookRow): Effect {
    const amount = new Dec(row.amount);
    const fees = new Dec(row.fees);
    const effect: Effect = { realized: ZERO, dividend: ZERO, fees: ZERO, flow: ZERO };
    switch (row.type) {
      case "deposit":
        this.cash = this.cash.add(amount);
        return { ...effect, flow: amount };
      case "withdrawal":
        this.cash = this.cash.sub(amount);
        return { ...effect, flow: amount.neg() };
      case "dividend":
        this.cash = this.cash.add(amount);
        return { ...effect, dividend: amount };
      case "fee":
        this.cash = this.cash.sub(amount);
        return { ...effect, fees: amount };
      case "buy": {
        const position = this.position(row.assetId as string);
        position.quantity = position.quantity.add(row.quantity as string);
        position.cost = position.cost.add(amount).add(fees);
        this.cash = this.cash.sub(amount).sub(fees);
        return { ...effect, fees };
      }
      case "sell": {
        const position = this.position(row.assetId as string);
        const quantity = new Dec(row.quantity as string);
        // Selling everything takes the whole cost, so no rounding residue outlives the position.
        const soldCost = quantity.gte(position.quantity)
          ? position.cost
          : position.cost.mul(quantity).div(position.quantity);
        position.quantity = position.quantity.sub(quantity);
        position.cost = position.cost.sub(soldCost);
        this.cash = this.cash.add(amount).sub(fees);
        return { ...effect, fees, realized: amount.sub(fees).sub(soldCost) };
      }
    }
  }

  private position(assetId: string): Position {
    let position = this.positions.get(assetId);
    if (!position) {
      position = { quantity: ZERO, cost: ZERO };
      this.positions.set(assetId, position);
    }
    return position;
  }
}

/** The books after every effective transaction, and the realized P&L along the way. */
export function replay(rows: BookRow[]): { book: Book; realized: Dec } {
  const book = new Book();
  let realized = ZERO;
  for (const row of rows.filter(isEffective).sort(byExecution))
    realized = realized.add(book.apply(row).realized);
  return { book, realized };
}

/**
 * Where a backdated change would make a holding negative at some point in time (the ledger only sees
 * today's balances). Replays the books in execution order - pending transactions count with what they take
 * out, not with what they bring in - and looks from `from` on for a cash or position balance below zero.
 */
export function shortfallInTime(
  rows: BookRow[],
  from: { executedAt: Date; seq: number },
  allowNegativeCash: boolean,
): { unit: string; executedAt: Date } | undefined {
  const running = new Map<string, Dec>();
  const live = rows.filter((row) => row.status === "pending" || isEffective(row)).sort(byExecution);
  for (const row of live) {
    const net = netByAccount(entriesFor(termsOf(row), allowNegativeCash));
    for (const { account, amount } of net.values()) {
      if (!isHolding(account) || (row.status === "pending" && amount.gt(0))) continue;
      const balance = (running.get(account.unit) ?? ZERO).add(amount);
      running.set(account.unit, balance);
      const guarded = account.kind === "position" || !allowNegativeCash;
      if (guarded && balance.lt(0) && byExecution(row, from) >= 0) {
        return { unit: account.unit, executedAt: row.executedAt };
      }
    }
  }
  return undefined;
}
